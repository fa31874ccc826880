build2/tests/httpd_test: tests/httpd_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h common/proto.h \
 common/err.h tests/lib/tnlib.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
common/proto.h:
common/err.h:
tests/lib/tnlib.h:
