// SPDX-License-Identifier: GPL-2.0
/* C helpers of rvs.ko; see helpers.h. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include "helpers.h"

MODULE_VERSION(RVS_VERSION);

static unsigned int conn_tab_bits = 20;
module_param(conn_tab_bits, uint, 0444);
MODULE_PARM_DESC(conn_tab_bits, "log2 of the connection hash table size (8..22, default 20)");

unsigned int rvs_param_conn_tab_bits(void)
{
	return conn_tab_bits;
}
