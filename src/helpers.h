/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C side of rvs.ko: what Rust cannot reach through bindgen (static inline
 * functions, macros, module parameters). Each function is a thin wrapper;
 * the logic stays in Rust.
 */
#ifndef RVS_HELPERS_H
#define RVS_HELPERS_H

#include <linux/types.h>

/* Module parameters, read once at init. */
unsigned int rvs_param_conn_tab_bits(void);

#endif
