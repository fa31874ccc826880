/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps: what the agent fills, what the programs keep, the ring buffer.
 * Types and names shared with userspace are in
 * include/trustnode/bpf_shared.h.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tn_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_WORKLOADS);
	__type(key, __u64);
	__type(value, struct tn_workload);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_workloads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_TAINT_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_taint_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_CLEAN_GENS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_clean_gen SEC(".maps");

/* Per program load: answers outlive no program (see bpf_shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TN_CLEAN_SLOTS);
	__type(key, __u32);
	__type(value, struct tn_clean);
} tn_clean SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_TAGS);
	__type(key, struct tn_inode_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flows_old_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flow_clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flow_jiffies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_FLOW_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flow_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tn_tag_devs);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_tag_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_DERIVED_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_derived_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_TAG_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_tag_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_DERIVED);
	__type(key, struct tn_inode_key);
	__type(value, struct tn_derived);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_derived SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_TRUSTED);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_trusted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_READERS);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_readers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tn_open_limit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_open_limit SEC(".maps");

/* Not LRU: an evicted flow would taint no receiver (bpf_shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_FLOWS);
	__type(key, struct tn_flow_key);
	__type(value, struct tn_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flows SEC(".maps");

/* Flows the agent retired from tn_flows, kept one more scan for ingress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_FLOWS);
	__type(key, struct tn_flow_key);
	__type(value, struct tn_flow);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flows_old SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_CHANNELS);
	__type(key, __u64);
	__type(value, struct tn_channel);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_channels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_CHST__MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_channel_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_ENDPOINTS);
	__type(key, struct tn_endpoint_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TN_MAX_CGFILES);
	__type(key, __u64);
	__type(value, struct tn_cgfile);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_cgfiles SEC(".maps");

/* Index 0: nonzero once tn_cgfiles holds an entry; until then writes pass. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_cgarmed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * TN_MAX_PREFIXES);
	__type(key, struct tn_prefix_key);
	__type(value, struct tn_prefix_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TN_RINGBUF_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_events SEC(".maps");
