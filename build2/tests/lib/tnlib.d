build2/tests/lib/tnlib.o: tests/lib/tnlib.c tests/lib/tnlib.h \
 common/audit_segments.h common/err.h
tests/lib/tnlib.h:
common/audit_segments.h:
common/err.h:
