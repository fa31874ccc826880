// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include "allowed.h"
#include "registry.h"

static int inside_permanent(const struct registry *r, const struct tn_prefix *p)
{
	for (int k = 0; k < r->nprefixes; k++)
		if (r->prefixes[k].len <= p->len &&
		    tn_prefix_contains(&r->prefixes[k], p->family, p->addr))
			return 1;
	return 0;
}

int allowed_set_build(const struct registry *r, struct allowed_set *s)
{
	int i;

	s->n = 0;
	s->v = calloc(r->nprefixes + r->npeer_prefixes + 1, sizeof(*s->v));
	if (!s->v)
		return -1;
	for (i = 0; i < r->nprefixes; i++)
		s->v[s->n++] = (struct allowed_entry){ .pfx = r->prefixes[i] };
	for (i = 0; i < r->npeer_prefixes; i++) {
		const struct reg_peer_prefix *pp = &r->peer_prefixes[i];

		if (!inside_permanent(r, &pp->pfx))
			s->v[s->n++] = (struct allowed_entry){
				.pfx = pp->pfx, .valid_until = pp->valid_until };
	}
	return 0;
}

void allowed_set_free(struct allowed_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
