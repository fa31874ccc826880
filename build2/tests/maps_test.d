build2/tests/maps_test: tests/maps_test.c tests/lib/node_fixture.h \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 tests/lib/tnlib.h include/trustnode/bpf_shared.h
tests/lib/node_fixture.h:
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/tnlib.h:
include/trustnode/bpf_shared.h:
