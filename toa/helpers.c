// SPDX-License-Identifier: GPL-2.0
/* C helpers of toa.ko; see helpers.h. */
#include <linux/module.h>
#include "helpers.h"

MODULE_VERSION(RVS_VERSION);

int toa_helper_ready(void)
{
	return 1;
}
