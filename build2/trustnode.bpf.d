build2/trustnode.bpf.o: bpf/trustnode.bpf.c build2/vmlinux.h \
  include/trustnode/bpf_shared.h bpf/maps.bpf.h bpf/common.bpf.h \
  bpf/files.bpf.h bpf/cgroup_moves.bpf.h bpf/syscalls.bpf.h \
  bpf/net.bpf.h bpf/ipc.bpf.h bpf/sockets.bpf.h bpf/fentry.bpf.h \
  bpf/packets.bpf.h

build2/vmlinux.h:

include/trustnode/bpf_shared.h:

bpf/maps.bpf.h:

bpf/common.bpf.h:

bpf/files.bpf.h:

bpf/cgroup_moves.bpf.h:

bpf/syscalls.bpf.h:

bpf/net.bpf.h:

bpf/ipc.bpf.h:

bpf/sockets.bpf.h:

bpf/fentry.bpf.h:

bpf/packets.bpf.h:
