/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_VERSION_H
#define _TN_VERSION_H

/*
 * TRUSTNODE_VERSION comes from the VERSION file at the top of the tree
 * (kmod/Kbuild passes it): the one place the module's, dkms.conf's and the
 * Debian packages' versions are taken from.
 */
#ifndef TRUSTNODE_VERSION
#error "TRUSTNODE_VERSION is not defined: build through kmod/Kbuild"
#endif

#endif /* _TN_VERSION_H */
