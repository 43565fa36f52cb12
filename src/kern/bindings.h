/* SPDX-License-Identifier: GPL-2.0 */
/* Input to bindgen for rvs.ko; what is generated is listed in bindgen_parameters. */
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/skbuff.h>
#include <linux/ip_vs.h>
#include "helpers.h"
