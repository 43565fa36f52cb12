# The soak (tests/soak.sh, `make soak` runs it for 30 min) for half a
# minute: the mixed traffic, the churn and the final check (every transfer
# whole, the table drained, connections opened = expired, memory back)
# stay working between the long runs.
# vm-tcg: single
# vm-timeout: 420
SOAK_SECONDS=30 exec bash tests/soak.sh
