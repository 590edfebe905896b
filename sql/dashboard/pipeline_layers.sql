-- Rows per layer, from the file ledger and the core tables (see ops.layer_row_counts).
select layer, table_name, row_count
from ops.layer_row_counts
order by position
