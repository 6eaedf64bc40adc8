graph [
  node [ id 0 x 1.0 x 0.0 ]
  node [ id 1 x 1.0 ]
  edge [ source 0 target 1 ]
]
