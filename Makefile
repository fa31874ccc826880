# trustnode: top-level build.
#
#   make            build bpf/ (object + skeleton), agent/trustnoded, tools/trustctl
#   make check      install build/test dependencies if missing, build, run tests
#   make demo       install dependencies if missing, build, run the demo
#   make bench      benchmarks (ratios against no trustnode and against nftables;
#                   attestation against tpm2-tools; make bench-attest alone),
#                   then bench-guest (TN_BENCH_GUEST=0 skips it; ~12 more min)
#   make bench-guest bench.sh in the QEMU guest, lsm, fentry and cgroup modes
#                   (instruction-count clock)
#   make bench-mesh attested-peers mode with N nodes in a full mesh (MESH_N=10)
#   make fuzz       fuzz the policy parser and the control protocol (bounded)
#   make deb        the Debian packages trustnode and trustnode-dkms in $(O)/deb
#   make deb-prev   the same labelled 0.0.9 in $(O)/deb-prev (upgrade tests)
#   make deb-repro  build them twice and compare (reproducibility; 1-2 min)
#   make install    DESTDIR=... as the package installs it
#
# Everything generated goes to build/ (O=DIR to change); nothing there is
# committed. vmlinux.h comes from the build machine's BTF.

O        ?= build
# The one version source: the module, dkms.conf (dh_dkms -V) and the
# packages (debian/changelog, checked against it) take it from here.
VERSION  := $(shell cat VERSION)
# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
# kselftest_harness.h comes from a kernel tree: KSFT_DIR=/path/to/linux, or
# Debian's linux-source-6.1 tarball.
KSFT_TARBALL ?= $(firstword $(wildcard /usr/src/linux-source-6.*.tar.xz))

ARCH_BPF := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
	    -Wmissing-prototypes -Wstrict-prototypes
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -D_GNU_SOURCE -std=gnu11 -Iinclude -Icommon -I$(O) \
	    -fstack-protector-strong -D_FORTIFY_SOURCE=2
LIBS_JSON   := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
LIBS_CONFIG := $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig)
LIBS_NL     := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)
LIBS_TPM    := $(shell pkg-config --libs tss2-esys tss2-mu tss2-rc tss2-tctildr 2>/dev/null || echo -ltss2-esys -ltss2-mu -ltss2-rc -ltss2-tctildr)
LIBS_CRYPTO := $(shell pkg-config --libs libcrypto libsodium 2>/dev/null || echo -lcrypto -lsodium)
LIBS_MHD    := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LIBS_CURL   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
LIBS_JOURNAL := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
CFLAGS   += $(shell pkg-config --cflags json-c libnl-genl-3.0 2>/dev/null) -Iinclude/uapi
# What common/ needs; every binary links it.
LIBS_COMMON := $(LIBS_JSON) $(LIBS_CONFIG) $(LIBS_NL) $(LIBS_TPM) $(LIBS_CRYPTO) $(LIBS_CURL)

COMMON_SRC := $(wildcard common/*.c)
AGENT_SRC  := $(wildcard agent/*.c)
HTTPD_SRC  := $(wildcard agent/httpd/*.c)
TOOLS_SRC  := $(wildcard tools/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(O)/%.o)
# common/ as a static library: each binary takes only the members it uses,
# and --as-needed keeps it from depending on libraries it then does not call
# (the unprivileged trustnode-httpd links no TPM, netlink or BPF library).
COMMON_LIB := $(O)/libtrustnode-common.a
LDFLAGS    += -Wl,--as-needed
AGENT_OBJ  := $(AGENT_SRC:%.c=$(O)/%.o)
HTTPD_OBJ  := $(HTTPD_SRC:%.c=$(O)/%.o)
TOOLS_OBJ  := $(TOOLS_SRC:%.c=$(O)/%.o)

TRUSTNODED := $(O)/trustnoded
HTTPD      := $(O)/trustnode-httpd
TRUSTCTL   := $(O)/trustctl
BPF_OBJ    := $(O)/trustnode.bpf.o
SKEL       := $(O)/trustnode.skel.h

all: $(TRUSTNODED) $(HTTPD) $(TRUSTCTL)

$(O)/vmlinux.h:
	@mkdir -p $(@D)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

# The object is embedded in trustnoded (skeleton): no build path in its
# debug info, so that a package build elsewhere gives the same binary.
$(BPF_OBJ): bpf/trustnode.bpf.c $(wildcard bpf/*.bpf.h) $(O)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH_BPF) -Wall -Werror \
		-ffile-prefix-map=$(CURDIR)=. -MMD -MP -Iinclude -I$(O) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name trustnode_bpf > $@.tmp && mv $@.tmp $@

# Each object depends on the headers it includes (-MMD -MP writes them to
# a .d file next to it), the UAPI header and the generated skeleton included.
$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(AGENT_OBJ): $(SKEL)

$(COMMON_LIB): $(COMMON_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(TRUSTNODED): $(AGENT_OBJ) $(COMMON_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf -lelf -lz $(LIBS_COMMON) $(LIBS_JOURNAL)

# The unprivileged HTTP front of the attestation service (agent/httpd/).
$(HTTPD): $(HTTPD_OBJ) $(COMMON_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON) $(LIBS_MHD)

$(TRUSTCTL): $(TOOLS_OBJ) $(COMMON_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON) $(LIBS_CURL)

# ---- man pages, completion, install ----------------------------------------
# pandoc (README, "Libraries, and why"): docs/policy.md is the source of
# trustnode.conf(5) too, so the page and the document cannot drift.
PANDOC   ?= pandoc
# The date printed on the pages: the changelog's, so that a rebuild is identical.
MAN_DATE := $(shell date -u -d "$$(dpkg-parsechangelog -l debian/changelog -S Date 2>/dev/null)" +%Y-%m-%d 2>/dev/null)
MAN_PAGES := $(O)/man/trustnoded.8 $(O)/man/trustctl.8 $(O)/man/trustnode.conf.5
PANDOC_MAN = $(PANDOC) -s -f markdown -t man --lua-filter=docs/man/narrow-tables.lua -M footer="trustnode $(VERSION)" \
	     -M date="$(MAN_DATE)" -M header="trustnode"

$(O)/man/%.8: docs/man/%.8.md docs/man/narrow-tables.lua VERSION
	@mkdir -p $(@D)
	$(call msg,MAN,$@)
	$(Q)$(PANDOC_MAN) -o $@ $<

$(O)/man/trustnode.conf.5: docs/man/trustnode.conf.5.md docs/policy.md docs/man/trustnode.conf.5.tail.md docs/man/narrow-tables.lua VERSION
	@mkdir -p $(@D)
	$(call msg,MAN,$@)
	$(Q)$(PANDOC_MAN) -o $@ docs/man/trustnode.conf.5.md docs/policy.md docs/man/trustnode.conf.5.tail.md

man: $(MAN_PAGES)

DESTDIR    ?=
prefix     ?= /usr
sbindir    ?= $(prefix)/sbin
bindir     ?= $(prefix)/bin
libexecdir ?= $(prefix)/libexec
mandir     ?= $(prefix)/share/man
docdir     ?= $(prefix)/share/doc/trustnode
sysconfdir ?= /etc
# Debian 12 keeps units in /lib (the /usr-merge moratorium).
unitdir    ?= /lib/systemd/system
sysusersdir ?= $(prefix)/lib/sysusers.d
tmpfilesdir ?= $(prefix)/lib/tmpfiles.d
bashcompdir ?= $(prefix)/share/bash-completion/completions

install: all man
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) $(DESTDIR)$(libexecdir)/trustnode \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir) $(DESTDIR)$(bashcompdir) \
		$(DESTDIR)$(sysconfdir)/trustnode $(DESTDIR)$(docdir)/examples
	install -m 0755 $(TRUSTNODED) $(DESTDIR)$(sbindir)/
	install -m 0755 $(TRUSTCTL) $(DESTDIR)$(bindir)/
	install -m 0755 $(HTTPD) $(DESTDIR)$(libexecdir)/trustnode/
	install -m 0644 $(O)/man/trustnoded.8 $(O)/man/trustctl.8 $(DESTDIR)$(mandir)/man8/
	install -m 0644 $(O)/man/trustnode.conf.5 $(DESTDIR)$(mandir)/man5/
	install -m 0644 dist/trustnoded.service dist/trustnode.slice $(DESTDIR)$(unitdir)/
	install -m 0644 dist/trustnode.sysusers $(DESTDIR)$(sysusersdir)/trustnode.conf
	install -m 0644 dist/trustnode.tmpfiles $(DESTDIR)$(tmpfilesdir)/trustnode.conf
	install -m 0644 completion/trustctl.bash $(DESTDIR)$(bashcompdir)/trustctl
	install -m 0644 dist/policy.conf $(DESTDIR)$(sysconfdir)/trustnode/policy.conf
	install -m 0644 examples/policy.conf examples/trustnode-workload.conf \
		$(DESTDIR)$(docdir)/examples/

# The packages (debian/), built from a copy of this tree's files under
# $(O)/deb/src, so that dpkg-buildpackage's clean and its output (written to
# the parent directory) stay inside $(O)/deb.
deb:
	scripts/build-deb.sh $(O)/deb

# Only trustnode-dkms (Architecture: all): the guest's DKMS test needs no more.
dkms-deb:
	scripts/build-deb.sh --dkms-only $(O)/deb

# The "previous version" for the upgrade tests (tests/pkg/upgrade_test.sh,
# tests/guest/pkg_test.sh): this tree labelled 0.0.9, built once and kept.
DEB_PREV := $(O)/deb-prev/trustnode_0.0.9_amd64.deb
$(DEB_PREV):
	scripts/build-deb.sh --as-version 0.0.9 $(O)/deb-prev
deb-prev: $(DEB_PREV)

# Two builds from the same source in two directories, compared byte for
# byte (1-2 min here; not part of make check).
deb-repro:
	scripts/build-deb.sh --twice $(O)/deb-repro

# ---- tests -------------------------------------------------------------

KSFT_INC := $(O)/ksft
ifneq ($(KSFT_DIR),)
KSFT_SRC := $(KSFT_DIR)/tools/testing/selftests
$(KSFT_INC)/kselftest_harness.h:
	@mkdir -p $(@D)
	cp $(KSFT_SRC)/kselftest_harness.h $(KSFT_SRC)/kselftest.h $(@D)/
else
$(KSFT_INC)/kselftest_harness.h:
	@test -n "$(KSFT_TARBALL)" || { echo "no kernel source: install linux-source-6.1 or set KSFT_DIR=" >&2; exit 1; }
	@mkdir -p $(@D)
	tar -xJf $(KSFT_TARBALL) -C $(@D) --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
endif

TEST_LIB_SRC := $(wildcard tests/lib/*.c)
TEST_LIB_OBJ := $(TEST_LIB_SRC:%.c=$(O)/%.o)
TEST_SRC     := $(wildcard tests/*_test.c)
TEST_BIN     := $(TEST_SRC:tests/%.c=$(O)/tests/%)
TEST_CFLAGS  := $(CFLAGS) -DTN_VERSION='"$(VERSION)"' -I$(KSFT_INC) -Itests/lib -Wno-missing-prototypes
# Kept between builds (make would delete them as intermediates).
.SECONDARY: $(TEST_LIB_OBJ)

$(O)/tests/lib/%.o: tests/lib/%.c $(KSFT_INC)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

$(O)/tests/%_test: tests/%_test.c $(TEST_LIB_OBJ) $(COMMON_LIB) $(KSFT_INC)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -MMD -MP -o $@ $< $(TEST_LIB_OBJ) $(COMMON_LIB) \
		$(LIBS_COMMON) $(LIBS_CURL) -lbpf -luring -lpthread

# ---- kernel module ---------------------------------------------------------
# Built from a copy under $(O): kbuild writes objects next to the sources and
# its "clean" deletes every *.o below M=, which would take build/ with it.
KDIR     ?= $(firstword $(wildcard /lib/modules/*-amd64/build) $(wildcard /lib/modules/*/build))
KMOD_TREE := $(O)/kmod-tree
KMOD_SRC  := Kbuild dkms.conf VERSION $(wildcard kmod/*.c kmod/*.h kmod/Kbuild) include/uapi/linux/trustnode.h

$(KMOD_TREE)/kmod/trustnode.ko: $(KMOD_SRC)
	@test -n "$(KDIR)" || { echo "no kernel headers: install linux-headers-amd64 or set KDIR=" >&2; exit 1; }
	@rm -rf $(KMOD_TREE) && mkdir -p $(KMOD_TREE)/include/uapi/linux
	@cp -r Kbuild dkms.conf VERSION kmod $(KMOD_TREE)/
	@cp include/uapi/linux/trustnode.h $(KMOD_TREE)/include/uapi/linux/
	$(call msg,KMOD,$@)
	$(Q)$(MAKE) -s -C $(KDIR) M=$(abspath $(KMOD_TREE)) O= W=1 modules

kmod: $(KMOD_TREE)/kmod/trustnode.ko

checkpatch:
	scripts/checkpatch.sh

GUEST_TEST_SRC := $(wildcard tests/guest/*_test.c)
GUEST_TEST_BIN := $(GUEST_TEST_SRC:tests/guest/%.c=$(O)/tests/guest/%)

$(O)/tests/guest/%: tests/guest/%.c $(TEST_LIB_OBJ) $(COMMON_LIB) $(KSFT_INC)/kselftest_harness.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -MMD -MP -o $@ $< $(TEST_LIB_OBJ) $(COMMON_LIB) \
		$(LIBS_COMMON) $(LIBS_CURL) -lbpf -luring -lpthread

tests: all kmod man deb deb-prev $(TEST_BIN) $(GUEST_TEST_BIN)

deps:
	scripts/install-deps.sh

check: deps
	$(MAKE) tests
	tests/run.sh $(O)

demo: deps
	$(MAKE) all
	scripts/demo.sh $(O)

bench: deps
	$(MAKE) all $(O)/bench/tnbench $(O)/bench/tnfloor $(O)/bench/tnverify $(O)/bench/auditbench \
		$(O)/bench/logpagebench $(O)/bench/loggrow
	tests/bench/bench.sh $(O)
	tests/bench/attest-bench.sh $(O)
	tests/bench/attest-log-bench.sh $(O)
	tests/bench/audit-bench.sh $(O)
	@if [ "$${TN_BENCH_GUEST:-1}" = 1 ]; then tests/bench/guest-bench.sh $(O); \
	else echo "bench: the guest's instruction-count table skipped (TN_BENCH_GUEST=0)"; fi

# bench.sh in the QEMU guest under the instruction-count clock: lsm, fentry
# and cgroup modes side by side (about 12 minutes).
bench-guest: deps
	$(MAKE) all $(O)/bench/tnbench $(O)/bench/tnfloor
	tests/bench/guest-bench.sh $(O)

bench-mesh: deps
	$(MAKE) all
	tests/bench/mesh-bench.sh $(O)

bench-audit: deps
	$(MAKE) $(O)/bench/auditbench $(O)/bench/logpagebench
	tests/bench/audit-bench.sh $(O)

$(O)/bench/logpagebench: tests/bench/logpagebench.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_COMMON)

$(O)/bench/auditbench: tests/bench/auditbench.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_COMMON)

bench-attest: deps
	$(MAKE) all $(O)/bench/tnverify $(O)/bench/loggrow
	tests/bench/attest-bench.sh $(O)
	tests/bench/attest-log-bench.sh $(O)

$(O)/bench/tnverify: tests/bench/tnverify.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_COMMON)

$(O)/bench/loggrow: tests/bench/loggrow.c $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_COMMON)

$(O)/bench/tnbench: tests/bench/tnbench.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lpthread

$(O)/bench/tnfloor: tests/bench/tnfloor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lbpf

# libFuzzer targets: the policy parser, the control-request parser, the HTTP
# front's request validation and the verifier's reading of a peer's answer.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
	       -Iinclude -Iinclude/uapi -Icommon $(shell pkg-config --cflags json-c libnl-genl-3.0 2>/dev/null)
$(O)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ $(LIBS_COMMON)

fuzz: deps $(O)/fuzz/fuzz_policy $(O)/fuzz/fuzz_request $(O)/fuzz/fuzz_httpd_request \
	$(O)/fuzz/fuzz_quote_response $(O)/fuzz/fuzz_audit_line $(O)/fuzz/fuzz_log_checkpoint
	tests/fuzz/run.sh $(O) $(FUZZ_SECONDS)

clean:
	rm -rf $(O)

.PHONY: all tests deps check demo bench bench-attest bench-audit bench-guest bench-mesh fuzz clean kmod dkms-deb checkpatch \
	man install deb deb-prev deb-repro
.DELETE_ON_ERROR:

# Header dependencies recorded by -MMD (absent on a first build: all is built).
-include $(shell find $(O) -path '$(O)/deb*' -prune -o -name '*.d' -type f -print 2>/dev/null)
