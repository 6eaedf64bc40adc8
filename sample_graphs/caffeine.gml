Creator "Message Passing Explorer: caffeine, 1,3,7-trimethylxanthine, heavy atoms"
graph [
  directed 0
  node [
    id 0
    label "N1"
    role "N"
    x "0 1 0 0"
    pos "[-0.866, 0.5]"
  ]
  node [
    id 1
    label "C2"
    role "C"
    x "1 0 0 0"
    pos "[-0.866, -0.5]"
  ]
  node [
    id 2
    label "N3"
    role "N"
    x "0 1 0 0"
    pos "[0.0, -1.0]"
  ]
  node [
    id 3
    label "C4"
    role "C"
    x "1 0 0 0"
    pos "[0.866, -0.5]"
  ]
  node [
    id 4
    label "C5"
    role "C"
    x "1 0 0 0"
    pos "[0.866, 0.5]"
  ]
  node [
    id 5
    label "C6"
    role "C"
    x "1 0 0 0"
    pos "[0.0, 1.0]"
  ]
  node [
    id 6
    label "N7"
    role "N"
    x "0 1 0 0"
    pos "[1.817, 0.809]"
  ]
  node [
    id 7
    label "C8"
    role "C"
    x "1 0 0 0"
    pos "[2.405, 0.0]"
  ]
  node [
    id 8
    label "N9"
    role "N"
    x "0 1 0 0"
    pos "[1.817, -0.809]"
  ]
  node [
    id 9
    label "O2"
    role "O"
    x "0 0 1 0"
    pos "[-1.732, -1.0]"
  ]
  node [
    id 10
    label "O6"
    role "O"
    x "0 0 1 0"
    pos "[0.0, 2.0]"
  ]
  node [
    id 11
    label "C1m"
    role "C"
    x "1 0 0 0"
    pos "[-1.732, 1.0]"
  ]
  node [
    id 12
    label "C3m"
    role "C"
    x "1 0 0 0"
    pos "[0.0, -2.0]"
  ]
  node [
    id 13
    label "C7m"
    role "C"
    x "1 0 0 0"
    pos "[2.126, 1.76]"
  ]
  edge [
    source 0
    target 1
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 1
    target 2
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 2
    target 3
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 3
    target 4
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 4
    target 5
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 5
    target 0
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 4
    target 6
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 6
    target 7
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 7
    target 8
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 8
    target 3
    edge_attr "[0, 0, 1]"
  ]
  edge [
    source 1
    target 9
    edge_attr "[0, 1, 0]"
  ]
  edge [
    source 5
    target 10
    edge_attr "[0, 1, 0]"
  ]
  edge [
    source 0
    target 11
    edge_attr "[1, 0, 0]"
  ]
  edge [
    source 2
    target 12
    edge_attr "[1, 0, 0]"
  ]
  edge [
    source 6
    target 13
    edge_attr "[1, 0, 0]"
  ]
]
