// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnfloor: the hooks' floor, for `make bench`'s "floor" column. For each
 * program named, it takes the program's type, attach type and hook from
 * trustnode's own object, loads a program that does nothing in its place
 * (return 0, or 1 where 1 lets the packet or call through) and attaches it
 * where trustnoded attaches that program: the cgroup programs to CGROUP,
 * the others to their hook. What an operation costs with these attached is
 * what any program on those hooks costs before its first instruction: the
 * trampoline, the kernel's dispatch, a syscall tracepoint's slow path.
 * trustnode's cost above it is its programs' work.
 *
 *   tnfloor OBJECT CGROUP NAME...
 *
 * Prints "attached N" once every program is attached, then holds them
 * until its standard input reaches end of file (or it is killed); the
 * links are not pinned, so they go with the process. Exit status 1, with
 * the reason on stderr, if any program cannot be loaded or attached (none
 * is left attached then).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static int die(const char *what, const char *name, int err)
{
	fprintf(stderr, "tnfloor: %s %s: %s\n", what, name, strerror(err));
	return 1;
}

/* Where a program's body would let everything through. */
static int pass_value(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return 1;
	default:
		return 0;
	}
}

static int is_cgroup(enum bpf_prog_type type)
{
	return pass_value(type) == 1;
}

/* Loads "r0 = pass; exit" as prog's type, for prog's hook. */
static int load_empty(struct bpf_program *prog)
{
	enum bpf_prog_type type = bpf_program__type(prog);
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);
	const char *sec = bpf_program__section_name(prog);
	const char *target = strchr(sec, '/');
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = pass_value(type) },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = at);
	int id;

	if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM) {
		if (!target)
			return -EINVAL;
		id = libbpf_find_vmlinux_btf_id(target + 1, at);
		if (id < 0)
			return id;
		opts.attach_btf_id = id;
	}
	return bpf_prog_load(type, "tn_floor", "Dual BSD/GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &opts);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	int cgfd, i, n = 0;
	char c;

	if (argc < 4) {
		fprintf(stderr, "usage: tnfloor OBJECT CGROUP NAME...\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return die("cannot open", argv[1], errno);
	cgfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return die("cannot open", argv[2], errno);
	for (i = 3; i < argc; i++) {
		struct bpf_program *prog;
		int fd, link;

		prog = bpf_object__find_program_by_name(obj, argv[i]);
		if (!prog)
			return die("no program named", argv[i], ENOENT);
		fd = load_empty(prog);
		if (fd < 0)
			return die("cannot load an empty program for", argv[i], -fd);
		if (is_cgroup(bpf_program__type(prog)))
			link = bpf_link_create(fd, cgfd,
					       bpf_program__expected_attach_type(prog),
					       NULL);
		else
			link = bpf_raw_tracepoint_open(NULL, fd);
		if (link < 0)
			return die("cannot attach an empty program for", argv[i], -link);
		n++;
	}
	printf("attached %d\n", n);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
