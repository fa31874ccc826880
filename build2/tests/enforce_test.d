build2/tests/enforce_test: tests/enforce_test.c tests/lib/node_fixture.h \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 tests/lib/tnlib.h
tests/lib/node_fixture.h:
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/tnlib.h:
