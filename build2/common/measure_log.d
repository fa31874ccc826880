build2/common/measure_log.o: common/measure_log.c common/hex.h \
 common/err.h common/measure_log.h common/attest_wire.h common/proto.h \
 include/trustnode/attest_api.h
common/hex.h:
common/err.h:
common/measure_log.h:
common/attest_wire.h:
common/proto.h:
include/trustnode/attest_api.h:
