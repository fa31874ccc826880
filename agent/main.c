// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustnoded: loads and pins trustnode's BPF programs, keeps the kernel maps
 * in step with the registry, records events, and serves the control socket.
 * Enforcement lives in the pinned programs and maps, not in this process:
 * killing it stops event collection and control, never enforcement.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>
#include "agent.h"
#include "audit_writer.h"
#include "opts.h"
#include "trustnode/attest_api.h"
#include "trustnode/audit_api.h"
#include "trustnode/control_proto.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: trustnoded [options]\n"
"       trustnoded --unload [--pin-dir DIR] [--state-dir DIR] [--tcti TCTI] [--pcr N]\n"
"\n"
"Runs in the foreground (for systemd or a supervisor); logs to stderr.\n"
"\n"
"  --cgroup PATH       attach the programs to this cgroup v2 directory (created\n"
"                      if missing; default <cgroup2 mount>/trustnode). Workloads\n"
"                      must live below it. The root cgroup is refused.\n"
"  --policy FILE       load this policy at start (otherwise the saved state)\n"
"  --attach MODE       auto (default: lsm where BPF LSM is active, else fentry\n"
"                      where the kernel takes fentry programs, else cgroup),\n"
"                      lsm, fentry or cgroup\n"
"  --state-dir DIR     default " TN_DEFAULT_STATE_DIR "\n"
"  --run-dir DIR       default " TN_DEFAULT_RUN_DIR " (control socket)\n"
"  --socket PATH       control socket (default RUN_DIR/" TN_CONTROL_SOCKET_NAME ")\n"
"  --pin-dir DIR       bpffs directory for pins (default " TN_DEFAULT_PIN_DIR ")\n"
"  --ringbuf-size N    event ring buffer bytes, a power of 2 pages (tests)\n"
"  --map-size MAP=N    max_entries of a map, set before it is created: one of\n"
"                      tn_derived, tn_flows, tn_channels, tn_cgfiles (repeat\n"
"                      for several). A map already pinned keeps its size: a\n"
"                      different N is refused until trustnoded --unload.\n"
"                      (bigger maps for big nodes; tests fill small ones)\n"
"  --no-kmod           do not drive trustnode.ko (another agent on this\n"
"                      kernel does: tests that run several nodes on one)\n"
"\n"
"Attestation (see README, \"Attestation\"):\n"
"  --tcti STRING       the TPM, as a tpm2-tss TCTI string (default\n"
"                      " TN_DEFAULT_TCTI "; \"none\" turns attestation off).\n"
"                      Without a usable TPM the agent still enforces.\n"
"  --pcr N             measurement PCR, 0..15 (default %d: see README)\n"
"  --quote-pcrs LIST   PCRs to quote, comma-separated (default: the --pcr one)\n"
"  --ak-handle HANDLE  persistent handle of the attestation key (default 0x%08x)\n"
"  --listen ADDR:PORT  serve the attestation HTTP API there (default: off)\n"
"  --httpd-user USER   the unprivileged user of trustnode-httpd (default " TN_HTTP_DEFAULT_USER ")\n"
"  --httpd PATH        trustnode-httpd (default: next to trustnoded, else\n"
"                      /usr/libexec/trustnode/trustnode-httpd)\n"
"\n"
"Audit log (STATE_DIR/audit; see README, \"Audit log\"):\n"
"  --audit-segment-bytes N  rotate segments at N bytes (default 16 MiB)\n"
"  --checkpoint-records N   sign a checkpoint every N records (default %u)\n"
"  --checkpoint-seconds T   ... or every T seconds (default %u)\n"
"  --anchor-seconds T       extend at most one checkpoint per T seconds into\n"
"                           the PCR (default %u)\n"
"  --unload            detach everything pinned under --pin-dir and exit;\n"
"                      this drops enforcement and the kernel's taint; it is\n"
"                      measured first (give the agent's --state-dir, --tcti\n"
"                      and --pcr) so that peers' verifiers see it\n"
"  -h, --help\n", TN_DEFAULT_PCR, TN_DEFAULT_AK_HANDLE, TN_AUDIT_CP_RECORDS,
		TN_AUDIT_CP_SECONDS, TN_AUDIT_ANCHOR_SECONDS);
}

static int find_cgroup2_mount(char *out, size_t n)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], dir[PATH_MAX], type[64];
	int found = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, n, "%s", dir);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static int parse_pcr(const char *s, unsigned *pcr)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 15) {
		fprintf(stderr, "trustnoded: PCR \"%s\" is not 0..15: 16..23 can be reset without a reboot (16 and 23 by any software at locality 0, 17..22 by a dynamic launch), so a quote over one proves nothing\n", s);
		return -1;
	}
	*pcr = v;
	return 0;
}

/* "13,14": kept ascending, the order a quote's PCR digest uses. */
static int parse_pcr_list(const char *s, struct attest_options *o)
{
	char buf[128], *tok, *save;
	unsigned mask = 0, pcr;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_pcr(tok, &pcr))
			return -1;
		mask |= 1u << pcr;
	}
	o->nquote_pcrs = 0;
	for (pcr = 0; pcr < 24; pcr++)
		if (mask & (1u << pcr))
			o->quote_pcrs[o->nquote_pcrs++] = pcr;
	return 0;
}

static int parse_count(const char *s, unsigned long long min,
		       unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > (1ULL << 32)) {
		fprintf(stderr, "trustnoded: \"%s\" is not a number from %llu to 2^32\n", s, min);
		return -1;
	}
	return 0;
}

/* The quote must cover the measurement PCR, or it vouches for nothing. */
static int quote_includes_pcr(struct attest_options *o)
{
	size_t i;

	if (!o->nquote_pcrs) {
		o->quote_pcrs[0] = o->pcr;
		o->nquote_pcrs = 1;
		return 0;
	}
	for (i = 0; i < o->nquote_pcrs; i++)
		if (o->quote_pcrs[i] == o->pcr)
			return 0;
	fprintf(stderr, "trustnoded: --quote-pcrs must include the measurement PCR %u\n", o->pcr);
	return -1;
}

static int parse_args(struct agent_options *o, int argc, char **argv,
		      int *unload)
{
	static const struct option longopts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "attach", required_argument, NULL, 'a' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 'S' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "map-size", required_argument, NULL, 'Z' },
		{ "unload", no_argument, NULL, 'U' },
		{ "no-kmod", no_argument, NULL, 'M' },
		{ "tcti", required_argument, NULL, 'T' },
		{ "pcr", required_argument, NULL, 'C' },
		{ "quote-pcrs", required_argument, NULL, 'Q' },
		{ "ak-handle", required_argument, NULL, 'K' },
		{ "listen", required_argument, NULL, 'L' },
		{ "httpd-user", required_argument, NULL, 'W' },
		{ "httpd", required_argument, NULL, 'H' },
		{ "audit-segment-bytes", required_argument, NULL, 'B' },
		{ "checkpoint-records", required_argument, NULL, 'N' },
		{ "checkpoint-seconds", required_argument, NULL, 'E' },
		{ "anchor-seconds", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->cgroup_root = optarg; break;
		case 'p': o->policy_path = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'r': o->run_dir = optarg; break;
		case 'S': o->socket_path = optarg; break;
		case 'P': o->pin_dir = optarg; break;
		case 'U': *unload = 1; break;
		case 'M': o->no_kmod = 1; break;
		case 'T': o->attest.tcti = optarg; break;
		case 'L': o->attest.listen = optarg; break;
		case 'W': o->attest.httpd_user = optarg; break;
		case 'H': o->attest.httpd_path = optarg; break;
		case 'B': case 'N': case 'E': case 'A': {
			unsigned long long v;

			if (parse_count(optarg, c == 'B' ? 4096 : 1, &v))
				return -1;
			if (c == 'B')
				o->audit.segment_bytes = v;
			else if (c == 'N')
				o->audit.cp_records = v;
			else if (c == 'E')
				o->audit.cp_seconds = v;
			else
				o->audit.anchor_seconds = v;
			break;
		}
		case 'C':
			if (parse_pcr(optarg, &o->attest.pcr))
				return -1;
			break;
		case 'Q':
			if (parse_pcr_list(optarg, &o->attest))
				return -1;
			break;
		case 'K': {
			char *end;

			errno = 0;
			o->attest.ak_handle = strtoul(optarg, &end, 0);
			if (errno || *end || (o->attest.ak_handle >> 24) != 0x81) {
				fprintf(stderr, "trustnoded: --ak-handle must be a persistent handle, 0x81000000..0x81ffffff\n");
				return -1;
			}
			break;
		}
		case 'R':
			o->ringbuf_size = strtoul(optarg, NULL, 0);
			if (o->ringbuf_size < 4096 ||
			    (o->ringbuf_size & (o->ringbuf_size - 1))) {
				fprintf(stderr, "trustnoded: --ringbuf-size must be a power of 2, at least 4096\n");
				return -1;
			}
			break;
		case 'Z': {
			char *eq = strchr(optarg, '='), *end;
			unsigned long v;

			if (eq) {
				*eq = '\0';
				errno = 0;
				v = strtoul(eq + 1, &end, 10);
			}
			if (!eq || !bpf_map_resizable(optarg) || errno || *end ||
			    eq[1] < '0' || eq[1] > '9' || v < 1 || v > (1UL << 24) ||
			    o->nmap_size == 8) {
				fprintf(stderr, "trustnoded: --map-size must be MAP=N, MAP one of tn_derived, tn_flows, tn_channels, tn_cgfiles, N 1..16777216 (at most 8 times)\n");
				return -1;
			}
			o->map_size[o->nmap_size].name = optarg;
			o->map_size[o->nmap_size++].n = v;
			break;
		}
		case 'a':
			if (!strcmp(optarg, "auto"))
				o->attach = TN_ATTACH_AUTO;
			else if (!strcmp(optarg, "lsm"))
				o->attach = TN_ATTACH_LSM;
			else if (!strcmp(optarg, "fentry"))
				o->attach = TN_ATTACH_FENTRY;
			else if (!strcmp(optarg, "cgroup"))
				o->attach = TN_ATTACH_CGROUP;
			else {
				fprintf(stderr, "trustnoded: --attach must be auto, lsm, fentry or cgroup\n");
				return -1;
			}
			break;
		default:
			return tn_opt_help_or_usage(c, usage);
		}
	}
	return tn_opt_no_operands("trustnoded", argc, argv);
}

static int load_policy_file(struct agent *a, struct tn_err *err)
{
	json_object *req, *reply;
	FILE *f = fopen(a->opt.policy_path, "r");
	char *text;
	long n;
	int ret = 0;

	if (!f)
		return tn_fail_errno(err, errno, "cannot read policy %s", a->opt.policy_path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > (1 << 20)) {
		fclose(f);
		return tn_fail(err, "policy %s is larger than 1 MiB", a->opt.policy_path);
	}
	text = calloc(1, n + 1);
	if (!text || fread(text, 1, n, f) != (size_t)n) {
		fclose(f);
		free(text);
		return tn_fail(err, "cannot read policy %s", a->opt.policy_path);
	}
	fclose(f);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("policy.load"));
	json_object_object_add(req, "name", json_object_new_string(a->opt.policy_path));
	json_object_object_add(req, "text", json_object_new_string(text));
	free(text);
	reply = requests_dispatch(a, req, 1);
	if (!json_object_get_boolean(json_object_object_get(reply, "ok")))
		ret = tn_fail(err, "%s", json_object_get_string(
				      json_object_object_get(reply, "error")));
	json_object_put(req);
	json_object_put(reply);
	return ret;
}

static int mkdirs(const char *dir, mode_t mode, struct tn_err *err)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return tn_fail_errno(err, errno, "cannot create %s", path);
		*p = '/';
	}
	if (mkdir(path, mode) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", path);
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || getenv("TRUSTNODE_QUIET_LIBBPF"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int setup(struct agent *a, struct tn_err *err)
{
	static char cgroup_default[PATH_MAX + 16];
	json_object *changes, *restored;
	size_t i;
	int recreated;

	if (!a->opt.cgroup_root) {
		char mnt[PATH_MAX];

		if (find_cgroup2_mount(mnt, sizeof(mnt)))
			return tn_fail(err, "no cgroup2 file system is mounted; mount one or give --cgroup");
		snprintf(cgroup_default, sizeof(cgroup_default), "%s/trustnode", mnt);
		a->opt.cgroup_root = cgroup_default;
	}
	if (mkdirs(a->opt.state_dir, 0700, err) || mkdirs(a->opt.run_dir, 0755, err))
		return -1;
	snprintf(a->state_path, sizeof(a->state_path), "%s/state.json", a->opt.state_dir);
	snprintf(a->socket_path, sizeof(a->socket_path), "%s",
		 a->opt.socket_path ? a->opt.socket_path : "");
	if (!a->opt.socket_path)
		snprintf(a->socket_path, sizeof(a->socket_path), "%s/%s",
			 a->opt.run_dir, TN_CONTROL_SOCKET_NAME);

	a->ep = epoll_create1(EPOLL_CLOEXEC);
	if (a->ep < 0)
		return tn_fail_errno(err, errno, "epoll_create1");
	if (state_load(a, err))
		return -1;
	if (attach_load(a, err))
		return -1;
	/*
	 * Saved under lsm or fentry mode, now in cgroup mode (another
	 * kernel): the state asks for what this mode cannot do. A --policy
	 * decides (its load refuses it again, or replaces it); without one,
	 * do not start.
	 */
	if (a->reg.tagged_readers == TN_TAGGED_READERS_WORKLOADS &&
	    !attach_mode_refuses(a->mode) && !a->opt.policy_path)
		return tn_fail(err, "the saved policy (%s) has tagged_readers = \"workloads\", which needs lsm or fentry mode, and this node runs in %s mode (%s); start with --policy naming a policy without it (or with tagged_readers = \"workloads-in-lsm-mode\")",
			       a->reg.policy_name ? a->reg.policy_name : "state.json",
			       attach_mode_name(a->mode), a->mode_reason);
	if (events_open(a, err))
		return -1;
	/* Workloads are paths: a reboot or a restarted service gives new ids. */
	recreated = cgroups_resolve_at_start(a, &changes, err);
	if (recreated < 0) {
		json_object_put(changes);
		return -1;
	}
	restored = cgroups_taint_to_restore(a);
	/*
	 * Push the saved state (after a reboot the maps start empty) before
	 * the programs attach: the first decision they make sees the taint.
	 */
	/*
	 * The tag filter before this version's programs run; the
	 * derived-tag filter then and once an earlier version's programs
	 * (which write no slot) are gone.
	 */
	if (maps_tag_filter_fill(a, err) || maps_derived_filter_fill(a, err) ||
	    maps_sync(a, &a->reg, err) || attach_links(a, err) ||
	    maps_derived_filter_fill(a, err)) {
		json_object_put(changes);
		json_object_put(restored);
		return -1;
	}
	if (recreated)
		state_save(a);
	/* Before the policy loads, so that loading it is measured and logged. */
	if (attest_start(a, err) || audit_open(a, err)) {
		json_object_put(changes);
		json_object_put(restored);
		return -1;
	}
	cgroups_record(a, changes, "agent-start");
	for (i = 0; i < json_object_array_length(restored); i++)
		events_record(a, "taint-restored", json_object_get(
				      json_object_array_get_idx(restored, i)));
	json_object_put(restored);
	if (a->opt.policy_path && load_policy_file(a, err))
		return -1;
	/* After the policy: also the workloads no saved state knew (a first start). */
	cgroups_record_preexisting(a);
	if (cgwatch_open(a, err))
		return -1;
	pins_watch_open(a);	/* without inotify: every second, and said */
	measure_policy(a);
	if (peers_reload(a, err))
		return -1;
	if (control_listen(a, err))
		return -1;
	a->policy_gen = 1;
	kmod_sync(a);
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "attach", json_object_new_string(attach_mode_name(a->mode)));
		json_object_object_add(o, "links_adopted", json_object_new_int(a->links_adopted));
		json_object_object_add(o, "links_created", json_object_new_int(a->links_created));
		json_object_object_add(o, "links_removed", json_object_new_int(a->links_removed));
		json_object_object_add(o, "agent_pid", json_object_new_int(getpid()));
		events_record(a, "agent-start", o);
	}
	events_check_counters(a);
	/*
	 * Attached, saved taint restored, the policy loaded: only now may
	 * systemd start the units ordered After= this one (no-op without
	 * NOTIFY_SOCKET).
	 */
	sd_notify(0, "READY=1");
	return 0;
}

/* The unload's audit record, written here: the agent is not running. */
static void audit_unload(struct agent *a, int measured)
{
	struct tn_audit_writer w;
	json_object *d = json_object_new_object();
	char dir[4200];
	struct tn_err err;

	snprintf(dir, sizeof(dir), "%s/" TN_AUDIT_DIR, a->opt.state_dir);
	json_object_object_add(d, "pin_dir", json_object_new_string(a->opt.pin_dir));
	json_object_object_add(d, "measured", json_object_new_boolean(measured));
	memset(&w, 0, sizeof(w));
	if (tn_audit_open(&w, dir, a->att->idkey_sk, a->opt.audit.segment_bytes,
			  a->opt.audit.cp_records, a->opt.audit.cp_seconds, &err)) {
		fprintf(stderr, "trustnoded: the unload is not in the audit log: %s\n", err.msg);
	} else {
		if (tn_audit_append(&w, "unload", d, tn_audit_now_us(), &err) ||
		    tn_audit_commit(&w, &err))
			fprintf(stderr, "trustnoded: the unload is not in the audit log: %s\n", err.msg);
		tn_audit_close(&w);
	}
	json_object_put(d);
}

/*
 * --unload ends enforcement: measured first, so that peers see it in this
 * boot's quotes (the agent, when it runs again, serves the entry), and an
 * audit record. Without a TPM (--tcti none, or none usable) there is nothing
 * to measure into, and peers cannot attest this node anyway. Run it with the
 * agent's --state-dir, --tcti and --pcr, after the agent has stopped: the
 * logs have one writer.
 */
static void measure_unload(struct agent *a)
{
	struct tn_err err;
	char log[4200], audit[4200];
	int measured = 0;

	/* Neither log: no agent ran here with this state dir, so no peer can
	 * have attested it; nothing is created for an unload. */
	snprintf(log, sizeof(log), "%s/measurements.jsonl", a->opt.state_dir);
	snprintf(audit, sizeof(audit), "%s/" TN_AUDIT_DIR, a->opt.state_dir);
	if (access(log, F_OK) && access(audit, F_OK)) {
		fprintf(stderr, "trustnoded: the unload is neither measured nor audited: no agent state in %s\n",
			a->opt.state_dir);
		return;
	}
	a->att->opt = a->opt.attest;
	a->att->opt.listen = NULL;
	if (access(log, F_OK))
		a->att->opt.tcti = "none";	/* never measured here: keep it so */
	if (attest_start(a, &err)) {
		fprintf(stderr, "trustnoded: cannot measure the unload: %s\n", err.msg);
		return;
	}
	if (a->att->tpm) {
		measured = !measure_weakening(a, "trustnoded --unload: BPF programs and pins removed");
	} else {
		fprintf(stderr, "trustnoded: the unload is not measured: %s\n", a->att->unavailable);
	}
	if (!access(audit, F_OK))
		audit_unload(a, measured);
	attest_stop(a);
}

int main(int argc, char **argv)
{
	struct agent a = {
		.opt = {
			.state_dir = TN_DEFAULT_STATE_DIR,
			.run_dir = TN_DEFAULT_RUN_DIR,
			.pin_dir = TN_DEFAULT_PIN_DIR,
		},
		.listen_fd = -1,
		.cgroup_fd = -1,
		.cg_inotify = -1,
		.pins_inotify = -1,
		.ep = -1,
		.cg_src.fd = -1,
		.pins_src.fd = -1,
		.peers_src.fd = -1,
		.kmod_drops_src.fd = -1,
	};
	struct attest att = { .httpd_src.fd = -1, .logs_src.fd = -1 };
	struct tn_err err;
	int unload = 0, ret;

	a.opt.audit.segment_bytes = TN_AUDIT_SEGMENT_BYTES;
	a.opt.audit.cp_records = TN_AUDIT_CP_RECORDS;
	a.opt.audit.cp_seconds = TN_AUDIT_CP_SECONDS;
	a.opt.audit.anchor_seconds = TN_AUDIT_ANCHOR_SECONDS;
	a.opt.attest = (struct attest_options){
		.tcti = TN_DEFAULT_TCTI,
		.pcr = TN_DEFAULT_PCR,
		.ak_handle = TN_DEFAULT_AK_HANDLE,
		.httpd_user = TN_HTTP_DEFAULT_USER,
	};
	if (parse_args(&a.opt, argc, argv, &unload))
		return 2;
	if (quote_includes_pcr(&a.opt.attest))
		return 2;
	att.opt = a.opt.attest;
	att.listen_fd = att.httpd_fd = -1;
	a.att = &att;
	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0) {
		fprintf(stderr, "trustnoded: must run as root (it loads BPF programs)\n");
		return 4;
	}
	if (unload) {
		measure_unload(&a);
		if (attach_unload_pins(a.opt.pin_dir, &err)) {
			fprintf(stderr, "trustnoded: %s\n", err.msg);
			return 1;
		}
		fprintf(stderr, "trustnoded: unpinned %s; trustnode no longer enforces on this node\n", a.opt.pin_dir);
		return 0;
	}
	if (setup(&a, &err)) {
		fprintf(stderr, "trustnoded: %s\n", err.msg);
		ret = 1;
	} else {
		ret = agent_run(&a);
		events_record(&a, "agent-stop", NULL);
	}
	control_close(&a);
	cgwatch_close(&a);
	pins_watch_close(&a);
	peers_stop(&a);
	audit_close(&a);
	attest_stop(&a);
	kmod_close(&a);
	events_close(&a);
	attach_close(&a);
	registry_free(&a.reg);
	if (a.ep >= 0)
		close(a.ep);
	return ret;
}
