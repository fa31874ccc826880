/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_GUARD_H
#define _TN_GUARD_H

/* On failure, too, returns when no hook is running any more. */
int tnk_guard_init(void);
/* Returns after a grace period: no hook is running any more. */
void tnk_guard_exit(void);

#endif /* _TN_GUARD_H */
