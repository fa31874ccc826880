-- pandoc filter for the man pages: pandoc's man writer gives a table with
-- relative column widths (docs/policy.md's) the whole 70 columns, and tbl
-- then adds the gaps between columns, so the table no longer fits an
-- 80-column terminal (groff warns "table wider than line width"). Scale
-- the widths down so that the columns and their gaps fit; and fill the
-- cells without adjusting both margins, which a narrow column holding a
-- long word such as trusted_receivers cannot do (groff: "cannot adjust
-- line"). And ask for room before each table (.ne): a cell that would
-- straddle a page break makes tbl warn "table text block will not fit on
-- one page".
function Table(t)
  for i, spec in ipairs(t.colspecs) do
    local w = spec[2]
    if type(w) == "number" then
      spec[2] = w * 0.86
    end
  end
  return { pandoc.RawBlock("man", ".ne 20v"), pandoc.RawBlock("man", ".na"), t,
           pandoc.RawBlock("man", ".ad")}
end
