build2/tests/guest/reboot_after_test: tests/guest/reboot_after_test.c \
 tests/guest/reboot.h build2/ksft/kselftest_harness.h \
 build2/ksft/kselftest.h tests/lib/tnlib.h include/trustnode/bpf_shared.h
tests/guest/reboot.h:
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/tnlib.h:
include/trustnode/bpf_shared.h:
