;; Fixture: a component that imports an interface faaslab does not offer; loading it
;; must fail with one line naming that interface.
(component
  (import "evil:corp/exfiltrate@1.0.0" (instance $evil
    (export "send" (func (param "data" string)))))
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
    (func (export "run") (param i32 i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "run") (param "config" string) (result (result string (error string)))
    (canon lift (core func $i "run") (memory (core memory $i "memory")) (realloc (core func $i "realloc")))))
