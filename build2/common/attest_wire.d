build2/common/attest_wire.o: common/attest_wire.c common/attest_wire.h \
 common/err.h common/hex.h common/proto.h include/trustnode/attest_api.h
common/attest_wire.h:
common/err.h:
common/hex.h:
common/proto.h:
include/trustnode/attest_api.h:
