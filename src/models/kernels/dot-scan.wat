;; Dot products of one vector with many rows of a matrix, by hand in WebAssembly SIMD (why: see
;; ranking/dot-scan.ts; assembled by `npm run build:kernels`). Rows are `bytes` long, a multiple
;; of 16 (the caller pads each row to four floats); products are summed 16 floats a step in four
;; registers, so the adds of one step do not wait on each other, then four at a time.
;;   scan:        out[r] = vector . rows[r]            for r < count (rows contiguous)
;;   scanIndexed: out[n] = vector . matrix[indices[n]] for n < count
;; All pointers are byte offsets into the exported memory; the caller lays the arrays out.
(module
  (memory (export "memory") 1)
  (func $dot (param $a i32) (param $b i32) (param $bytes i32) (result f32)
    (local $k i32) (local $end64 i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $end64 (i32.and (local.get $bytes) (i32.const -64)))
    (block $done64
      (loop $each64
        (br_if $done64 (i32.ge_u (local.get $k) (local.get $end64)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul
          (v128.load (i32.add (local.get $a) (local.get $k))) (v128.load (i32.add (local.get $b) (local.get $k))))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul
          (v128.load offset=16 (i32.add (local.get $a) (local.get $k))) (v128.load offset=16 (i32.add (local.get $b) (local.get $k))))))
        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul
          (v128.load offset=32 (i32.add (local.get $a) (local.get $k))) (v128.load offset=32 (i32.add (local.get $b) (local.get $k))))))
        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul
          (v128.load offset=48 (i32.add (local.get $a) (local.get $k))) (v128.load offset=48 (i32.add (local.get $b) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 64)))
        (br $each64)))
    (block $done16
      (loop $each16
        (br_if $done16 (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul
          (v128.load (i32.add (local.get $a) (local.get $k))) (v128.load (i32.add (local.get $b) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $each16)))
    (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
  (func (export "scan") (param $vector i32) (param $rows i32) (param $bytes i32) (param $count i32) (param $out i32)
    (local $r i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $r) (local.get $count)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
          (call $dot (local.get $vector) (local.get $rows) (local.get $bytes)))
        (local.set $rows (i32.add (local.get $rows) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each))))
  (func (export "scanIndexed") (param $vector i32) (param $matrix i32) (param $bytes i32) (param $indices i32) (param $count i32) (param $out i32)
    (local $n i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (call $dot
            (local.get $vector)
            (i32.add (local.get $matrix)
              (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $n) (i32.const 2)))) (local.get $bytes)))
            (local.get $bytes)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $each))))
)
