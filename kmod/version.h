/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_VERSION_H
#define _TN_VERSION_H

/* Keep equal to PACKAGE_VERSION in dkms.conf. */
#define TRUSTNODE_VERSION "0.1.0"

#endif /* _TN_VERSION_H */
