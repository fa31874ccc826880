build2/common/audit_page.o: common/audit_page.c common/audit_page.h \
 common/err.h common/audit_segments.h include/trustnode/audit_api.h
common/audit_page.h:
common/err.h:
common/audit_segments.h:
include/trustnode/audit_api.h:
