// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The configuration lock and the one-way seal.
 *
 * Once sealed, the module holds a reference on itself that is never
 * dropped, so it cannot be unloaded until reboot; the netlink handlers
 * refuse CLEAR_TAINT and any SET_POLICY that is not at least as strict as
 * the policy in force.
 */
#include <linux/lockdep.h>
#include <linux/module.h>

#include "seal.h"

/* See seal.h: every configuration change happens under it. */
DEFINE_MUTEX(tnk_config_lock);

static bool tnk_is_sealed;

bool tnk_sealed(void)
{
	return READ_ONCE(tnk_is_sealed);
}

int tnk_seal(void)
{
	lockdep_assert_held(&tnk_config_lock);

	if (tnk_is_sealed)
		return 0;
	/*
	 * try_module_get(), not __module_get(): if rmmod has already begun
	 * (refcount dropped to zero, state GOING, exit waiting for this
	 * handler to return), a plain increment would be ignored by the
	 * unload and leave us sealed in a module that is about to go.
	 */
	if (!try_module_get(THIS_MODULE))
		return -EBUSY;
	WRITE_ONCE(tnk_is_sealed, true);
	return 0;
}
