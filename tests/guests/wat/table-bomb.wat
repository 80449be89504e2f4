;; Hostile fixture: `run` grows a funcref table without bound (the table limit,
;; limits.max_table_elements, must stop it). Hand-written: Rust cannot grow tables.
(component
  (core module $m
    (memory (export "memory") 1)
    (table $t 1 funcref)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
    (func (export "run") (param i32 i32) (result i32)
      (loop $grow
        (drop (table.grow $t (ref.null func) (i32.const 65536)))
        (br $grow))
      (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "run") (param "config" string) (result (result string (error string)))
    (canon lift (core func $i "run") (memory (core memory $i "memory")) (realloc (core func $i "realloc")))))
