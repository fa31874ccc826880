build2/common/tpm_credential.o: common/tpm_credential.c \
 common/tpm_verify.h common/err.h
common/tpm_verify.h:
common/err.h:
