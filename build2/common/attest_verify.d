build2/common/attest_verify.o: common/attest_verify.c \
 common/attest_verify_int.h common/attest_verify.h common/attest_wire.h \
 common/err.h common/measure_log.h common/peer_store.h \
 common/tpm_verify.h common/hex.h common/http.h common/proto.h \
 include/trustnode/attest_api.h
common/attest_verify_int.h:
common/attest_verify.h:
common/attest_wire.h:
common/err.h:
common/measure_log.h:
common/peer_store.h:
common/tpm_verify.h:
common/hex.h:
common/http.h:
common/proto.h:
include/trustnode/attest_api.h:
