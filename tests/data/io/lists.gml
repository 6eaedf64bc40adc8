graph [
  directed 1
  name "lists"
  node [ id 10 label "ten" x 1.0 x 2.0 y 1 pos 0.0 pos 1.0 ]
  node [ id 20 label "twenty" x 3.0 x 4.0 y 0 pos 1.0 pos 0.0 ]
  node [ id 30 label "thirty" x "5 6" y 1 pos "[2, 2]" ]
  edge [ source 10 target 20 edge_attr 1.0 ]
  edge [ source 20 target 30 edge_attr 2.0 ]
]
