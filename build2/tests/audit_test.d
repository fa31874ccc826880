build2/tests/audit_test: tests/audit_test.c tests/lib/node_fixture.h \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 tests/lib/tnlib.h common/proto.h common/err.h
tests/lib/node_fixture.h:
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/tnlib.h:
common/proto.h:
common/err.h:
