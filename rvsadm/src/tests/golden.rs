// SPDX-License-Identifier: GPL-2.0
// Golden outputs of stock ipvsadm 1.31 (Debian 1:1.31-1+b1) on the in-tree
// ip_vs of the test kernel, captured by tests/vm/t_rvsadm_vs_ipvs.sh (its
// $RVS_OUT/rvsadm-golden) after 10 NAT connections through 192.0.2.100:80.
// Trailing blanks are significant.

const GOLDEN_LN: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.100:80 rr
  -> 198.51.100.11:8080           Masq    3      0          5         
  -> 198.51.100.12:8080           Masq    1      0          5         
TCP  203.0.113.5:443 wlc (flag-1,flag-2)
  -> 198.51.100.15:443            Route   70000  0          0         
UDP  192.0.2.100:53 wrr persistent 120 mask 255.255.255.0
  -> 198.51.100.11:53             Route   1      0          0         
UDP  192.0.2.101:5060 rr ops
  -> 198.51.100.14:5060           Tunnel  1      0          0         
TCP  [2001:db8::1]:443 wlc persistent 360
  -> [2001:db8::2]:8443           Masq    1      0          0         
FWM  7 sh (sh-port)
  -> 198.51.100.13:0              Tunnel  0      0          0         
FWM  9 IPv6 rr
"#;

const GOLDEN_STATS: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  192.0.2.100:80                     10       56       47     3042     2744
  -> 198.51.100.11:8080                  5       29       23     1573     1346
  -> 198.51.100.12:8080                  5       27       24     1469     1398
TCP  203.0.113.5:443                     0        0        0        0        0
  -> 198.51.100.15:443                   0        0        0        0        0
UDP  192.0.2.100:53                      0        0        0        0        0
  -> 198.51.100.11:53                    0        0        0        0        0
UDP  192.0.2.101:5060                    0        0        0        0        0
  -> 198.51.100.14:5060                  0        0        0        0        0
TCP  [2001:db8::1]:443                   0        0        0        0        0
  -> [2001:db8::2]:8443                  0        0        0        0        0
FWM  7                                   0        0        0        0        0
  -> 198.51.100.13:0                     0        0        0        0        0
FWM  9 IPv6                              0        0        0        0        0
"#;

const GOLDEN_EXACT_STATS: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  192.0.2.100:80                     10       56       47     3042     2744
  -> 198.51.100.11:8080                  5       29       23     1573     1346
  -> 198.51.100.12:8080                  5       27       24     1469     1398
TCP  203.0.113.5:443                     0        0        0        0        0
  -> 198.51.100.15:443                   0        0        0        0        0
UDP  192.0.2.100:53                      0        0        0        0        0
  -> 198.51.100.11:53                    0        0        0        0        0
UDP  192.0.2.101:5060                    0        0        0        0        0
  -> 198.51.100.14:5060                  0        0        0        0        0
TCP  [2001:db8::1]:443                   0        0        0        0        0
  -> [2001:db8::2]:8443                  0        0        0        0        0
FWM  7                                   0        0        0        0        0
  -> 198.51.100.13:0                     0        0        0        0        0
FWM  9 IPv6                              0        0        0        0        0
"#;

const GOLDEN_RATE: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS
  -> RemoteAddress:Port
TCP  192.0.2.100:80                      0        0        0        2        2
  -> 198.51.100.11:8080                  0        0        0        1        1
  -> 198.51.100.12:8080                  0        0        0        1        1
TCP  203.0.113.5:443                     0        0        0        0        0
  -> 198.51.100.15:443                   0        0        0        0        0
UDP  192.0.2.100:53                      0        0        0        0        0
  -> 198.51.100.11:53                    0        0        0        0        0
UDP  192.0.2.101:5060                    0        0        0        0        0
  -> 198.51.100.14:5060                  0        0        0        0        0
TCP  [2001:db8::1]:443                   0        0        0        0        0
  -> [2001:db8::2]:8443                  0        0        0        0        0
FWM  7                                   0        0        0        0        0
  -> 198.51.100.13:0                     0        0        0        0        0
FWM  9 IPv6                              0        0        0        0        0
"#;

const GOLDEN_THRESHOLDS: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  192.0.2.100:80 rr
  -> 198.51.100.11:8080           0          0          0          5         
  -> 198.51.100.12:8080           100        10         0          5         
TCP  203.0.113.5:443 wlc (flag-1,flag-2)
  -> 198.51.100.15:443            0          0          0          0         
UDP  192.0.2.100:53 wrr persistent 120 mask 255.255.255.0
  -> 198.51.100.11:53             0          0          0          0         
UDP  192.0.2.101:5060 rr ops
  -> 198.51.100.14:5060           0          0          0          0         
TCP  [2001:db8::1]:443 wlc persistent 360
  -> [2001:db8::2]:8443           0          0          0          0         
FWM  7 sh (sh-port)
  -> 198.51.100.13:0              0          0          0          0         
FWM  9 IPv6 rr
"#;

const GOLDEN_PERSISTENT_CONN: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  192.0.2.100:80 rr
  -> 198.51.100.11:8080           3         0           0          5         
  -> 198.51.100.12:8080           1         0           0          5         
TCP  203.0.113.5:443 wlc (flag-1,flag-2)
  -> 198.51.100.15:443            70000     0           0          0         
UDP  192.0.2.100:53 wrr persistent 120 mask 255.255.255.0
  -> 198.51.100.11:53             1         0           0          0         
UDP  192.0.2.101:5060 rr ops
  -> 198.51.100.14:5060           1         0           0          0         
TCP  [2001:db8::1]:443 wlc persistent 360
  -> [2001:db8::2]:8443           1         0           0          0         
FWM  7 sh (sh-port)
  -> 198.51.100.13:0              0         0           0          0         
FWM  9 IPv6 rr
"#;

const GOLDEN_TUN_INFO: &str = r#"IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  192.0.2.100:80 rr
  -> 198.51.100.11:8080           Masq    n/a           3      0          5         
  -> 198.51.100.12:8080           Masq    n/a           1      0          5         
TCP  203.0.113.5:443 wlc (flag-1,flag-2)
  -> 198.51.100.15:443            Route   n/a           70000  0          0         
UDP  192.0.2.100:53 wrr persistent 120 mask 255.255.255.0
  -> 198.51.100.11:53             Route   n/a           1      0          0         
UDP  192.0.2.101:5060 rr ops
  -> 198.51.100.14:5060           Tunnel  gue:6080:+c   1      0          0         
TCP  [2001:db8::1]:443 wlc persistent 360
  -> [2001:db8::2]:8443           Masq    n/a           1      0          0         
FWM  7 sh (sh-port)
  -> 198.51.100.13:0              Tunnel  ipip          0      0          0         
FWM  9 IPv6 rr
"#;

const GOLDEN_SAVE: &str = r#"-A -t 192.0.2.100:80 -s rr
-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -w 3
-a -t 192.0.2.100:80 -r 198.51.100.12:8080 -m -w 1
-A -t 203.0.113.5:443 -s wlc -b flag-1,flag-2
-a -t 203.0.113.5:443 -r 198.51.100.15:443 -g -w 70000
-A -u 192.0.2.100:53 -s wrr -p 120 -M 255.255.255.0
-a -u 192.0.2.100:53 -r 198.51.100.11:53 -g -w 1
-A -u 192.0.2.101:5060 -s rr -o
-a -u 192.0.2.101:5060 -r 198.51.100.14:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -t [2001:db8::1]:443 -s wlc -p 360
-a -t [2001:db8::1]:443 -r [2001:db8::2]:8443 -m -w 1
-A -f 7 -s sh -b sh-port
-a -f 7 -r 198.51.100.13:0 -i -w 0 --tun-type ipip
-A -f 9 -6 -s rr
"#;

const GOLDEN_LN_WEB: &str = r#"Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.100:80 rr
  -> 198.51.100.11:8080           Masq    3      0          5         
  -> 198.51.100.12:8080           Masq    1      0          5         
"#;

const GOLDEN_TIMEOUT: &str = r#"Timeout (tcp tcpfin udp): 900 120 300
"#;

const GOLDEN_CONNS: &str = r#"IPVS connection entries
pro expire state       source             virtual            destination
TCP 01:16  TIME_WAIT   192.0.2.2:34748    192.0.2.100:80     198.51.100.11:8080
TCP 01:15  TIME_WAIT   192.0.2.2:34686    192.0.2.100:80     198.51.100.12:8080
TCP 01:15  TIME_WAIT   192.0.2.2:34698    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34746    192.0.2.100:80     198.51.100.12:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34758    192.0.2.100:80     198.51.100.12:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34768    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34714    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34736    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34702    192.0.2.100:80     198.51.100.12:8080
TCP 01:13  TIME_WAIT   192.0.2.2:34728    192.0.2.100:80     198.51.100.12:8080
"#;

/// The /proc/net/ip_vs_conn lines behind GOLDEN_CONNS, as the kernel prints them.
const PROC_IP_VS_CONN: &str = r#"Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP C0000202 87BC C0000264 0050 C633640B 1F90 TIME_WAIT        76
TCP C0000202 877E C0000264 0050 C633640C 1F90 TIME_WAIT        75
TCP C0000202 878A C0000264 0050 C633640B 1F90 TIME_WAIT        75
TCP C0000202 87BA C0000264 0050 C633640C 1F90 TIME_WAIT        74
TCP C0000202 87C6 C0000264 0050 C633640C 1F90 TIME_WAIT        74
TCP C0000202 87D0 C0000264 0050 C633640B 1F90 TIME_WAIT        74
TCP C0000202 879A C0000264 0050 C633640B 1F90 TIME_WAIT        74
TCP C0000202 87B0 C0000264 0050 C633640B 1F90 TIME_WAIT        74
TCP C0000202 878E C0000264 0050 C633640C 1F90 TIME_WAIT        74
TCP C0000202 87A8 C0000264 0050 C633640C 1F90 TIME_WAIT        73
"#;

/// With --persistent-conn and no persistence engine only the title changes.
const GOLDEN_CONNS_PC: &str = r#"IPVS connection entries
pro expire state       source             virtual            destination        pe name          pe_data
TCP 01:16  TIME_WAIT   192.0.2.2:34748    192.0.2.100:80     198.51.100.11:8080
TCP 01:15  TIME_WAIT   192.0.2.2:34686    192.0.2.100:80     198.51.100.12:8080
TCP 01:15  TIME_WAIT   192.0.2.2:34698    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34746    192.0.2.100:80     198.51.100.12:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34758    192.0.2.100:80     198.51.100.12:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34768    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34714    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34736    192.0.2.100:80     198.51.100.11:8080
TCP 01:14  TIME_WAIT   192.0.2.2:34702    192.0.2.100:80     198.51.100.12:8080
TCP 01:13  TIME_WAIT   192.0.2.2:34728    192.0.2.100:80     198.51.100.12:8080
"#;

const WEB_STATS: Stats = Stats { conns: 10, inpkts: 56, outpkts: 47, inbytes: 3042, outbytes: 2744, cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
const RS1_STATS: Stats = Stats { conns: 5, inpkts: 29, outpkts: 23, inbytes: 1573, outbytes: 1346, cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
const RS2_STATS: Stats = Stats { conns: 5, inpkts: 27, outpkts: 24, inbytes: 1469, outbytes: 1398, cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
/// Rates as they were when the --rate output was taken.
const WEB_RATE: Stats = Stats { conns: 10, inpkts: 56, outpkts: 47, inbytes: 3042, outbytes: 2744, cps: 0, inpps: 0, outpps: 0, inbps: 2, outbps: 2 };
const RS1_RATE: Stats = Stats { conns: 5, inpkts: 29, outpkts: 23, inbytes: 1573, outbytes: 1346, cps: 0, inpps: 0, outpps: 0, inbps: 1, outbps: 1 };
const RS2_RATE: Stats = Stats { conns: 5, inpkts: 27, outpkts: 24, inbytes: 1469, outbytes: 1398, cps: 0, inpps: 0, outpps: 0, inbps: 1, outbps: 1 };

/// From an earlier run of the same test (it then also listed -f 7).
const GOLDEN_LN_FW7: &str = r#"Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  7 sh (sh-port)
  -> 198.51.100.13:0              Tunnel  0      0          0         
"#;
