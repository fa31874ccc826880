build2/common/hex.o: common/hex.c common/hex.h common/err.h
common/hex.h:
common/err.h:
