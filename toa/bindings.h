/* SPDX-License-Identifier: GPL-2.0 */
/* Input to bindgen for toa.ko; what is generated is listed in bindgen_parameters. */
#include "helpers.h"
