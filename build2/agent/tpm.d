build2/agent/tpm.o: agent/tpm.c common/attest_wire.h common/err.h \
 common/hex.h agent/tpm.h common/err.h include/trustnode/attest_api.h
common/attest_wire.h:
common/err.h:
common/hex.h:
agent/tpm.h:
common/err.h:
include/trustnode/attest_api.h:
