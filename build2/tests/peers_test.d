build2/tests/peers_test: tests/peers_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h \
 tests/lib/attnode.h tests/lib/tnlib.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
tests/lib/attnode.h:
tests/lib/tnlib.h:
