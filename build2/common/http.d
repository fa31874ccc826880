build2/common/http.o: common/http.c common/http.h common/err.h \
 common/proto.h
common/http.h:
common/err.h:
common/proto.h:
