// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trustnode's BPF half: taint tracking and egress control.
 *
 * A workload is a cgroup subtree registered in the "workloads" map. It becomes
 * tainted when one of its tasks opens a tagged file (lsm/file_open, or in
 * cgroup mode the exit of the open syscalls) or talks to a tagged endpoint.
 * A tainted workload may only reach destinations in the live generation of
 * "prefixes"; everything else is denied (enforce) or recorded (audit).
 *
 * The agent loads the lsm programs, their fentry-mode twins (fentry.bpf.h:
 * the same decisions from trampolines on the security_*() functions, where
 * BPF LSM is not active) or the cgroup-mode file programs; the cgroup/ and
 * cgroup_skb/ programs are attached in every mode. Taint through unix
 * sockets, pipes and FIFOs ("local IPC" below) needs lsm or fentry mode (and
 * three fentry programs for splice, tee and vmsplice, in both).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "trustnode/bpf_shared.h"

#define AF_INET		2
#define AF_INET6	10
#define EPERM		1
#define EACCES		13
#define SK_DROP		0
#define SK_PASS		1
#define S_IFMT_		0170000
#define S_IFDIR_	0040000
#define SIGKILL_	9

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Each family of hooks in its own file, in dependency order. */
#include "maps.bpf.h"
#include "common.bpf.h"
#include "files.bpf.h"
#include "cgroup_moves.bpf.h"
#include "syscalls.bpf.h"
#include "net.bpf.h"
#include "ipc.bpf.h"
#include "sockets.bpf.h"
#include "fentry.bpf.h"
#include "packets.bpf.h"
