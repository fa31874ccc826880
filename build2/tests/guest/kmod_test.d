build2/tests/guest/kmod_test: tests/guest/kmod_test.c \
 /usr/include/libnl3/netlink/genl/genl.h \
 /usr/include/libnl3/netlink/netlink.h \
 /usr/include/libnl3/netlink/netlink-compat.h \
 /usr/include/libnl3/netlink/version.h \
 /usr/include/libnl3/netlink/errno.h /usr/include/libnl3/netlink/types.h \
 /usr/include/libnl3/netlink/handlers.h \
 /usr/include/libnl3/netlink/netlink-kernel.h \
 /usr/include/libnl3/netlink/socket.h \
 /usr/include/libnl3/netlink/object.h /usr/include/libnl3/netlink/utils.h \
 /usr/include/libnl3/netlink/list.h /usr/include/libnl3/netlink/msg.h \
 /usr/include/libnl3/netlink/attr.h /usr/include/libnl3/netlink/addr.h \
 /usr/include/libnl3/netlink/data.h common/kmod_nl.h common/addr.h \
 common/err.h include/uapi/linux/trustnode.h tests/lib/attnode.h \
 tests/lib/tnlib.h tests/lib/node_fixture.h \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h
/usr/include/libnl3/netlink/genl/genl.h:
/usr/include/libnl3/netlink/netlink.h:
/usr/include/libnl3/netlink/netlink-compat.h:
/usr/include/libnl3/netlink/version.h:
/usr/include/libnl3/netlink/errno.h:
/usr/include/libnl3/netlink/types.h:
/usr/include/libnl3/netlink/handlers.h:
/usr/include/libnl3/netlink/netlink-kernel.h:
/usr/include/libnl3/netlink/socket.h:
/usr/include/libnl3/netlink/object.h:
/usr/include/libnl3/netlink/utils.h:
/usr/include/libnl3/netlink/list.h:
/usr/include/libnl3/netlink/msg.h:
/usr/include/libnl3/netlink/attr.h:
/usr/include/libnl3/netlink/addr.h:
/usr/include/libnl3/netlink/data.h:
common/kmod_nl.h:
common/addr.h:
common/err.h:
include/uapi/linux/trustnode.h:
tests/lib/attnode.h:
tests/lib/tnlib.h:
tests/lib/node_fixture.h:
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
