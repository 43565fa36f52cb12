/* SPDX-License-Identifier: GPL-2.0 */
/* C side of toa.ko: static inlines and macros Rust cannot reach. */
#ifndef TOA_HELPERS_H
#define TOA_HELPERS_H

#include <linux/types.h>

/* Placeholder until the socket hooks land: lets the bindings pipeline run. */
int toa_helper_ready(void);

#endif
