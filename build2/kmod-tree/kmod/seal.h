/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_SEAL_H
#define _TN_SEAL_H

#include <linux/mutex.h>
#include <linux/types.h>

/*
 * Serializes every change of configuration: policy swaps, taint table
 * updates and the seal, so that "is it sealed?" and the change it guards
 * are one step. Packets never take it; they read under RCU.
 */
extern struct mutex tnk_config_lock;

/* Readable without the lock; a set seal never clears. */
bool tnk_sealed(void);

/* Caller holds tnk_config_lock. Idempotent. */
int tnk_seal(void);

#endif /* _TN_SEAL_H */
