build2/common/audit_segments.o: common/audit_segments.c \
 common/audit_segments.h common/err.h
common/audit_segments.h:
common/err.h:
