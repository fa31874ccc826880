build2/tests/policy_test: tests/policy_test.c \
 build2/ksft/kselftest_harness.h build2/ksft/kselftest.h common/policy.h \
 common/addr.h common/err.h common/policy_canon.h common/policy.h
build2/ksft/kselftest_harness.h:
build2/ksft/kselftest.h:
common/policy.h:
common/addr.h:
common/err.h:
common/policy_canon.h:
common/policy.h:
