Creator "Message Passing Explorer: decalin carbon skeleton"
graph [
  directed 0
  node [
    id 0
    label "C1"
    role "C"
  ]
  node [
    id 1
    label "C2"
    role "C"
  ]
  node [
    id 2
    label "C3"
    role "C"
  ]
  node [
    id 3
    label "C4"
    role "C"
  ]
  node [
    id 4
    label "C5"
    role "C"
  ]
  node [
    id 5
    label "C6"
    role "C"
  ]
  node [
    id 6
    label "C7"
    role "C"
  ]
  node [
    id 7
    label "C8"
    role "C"
  ]
  node [
    id 8
    label "C9"
    role "C"
  ]
  node [
    id 9
    label "C10"
    role "C"
  ]
  edge [
    source 0
    target 1
  ]
  edge [
    source 1
    target 2
  ]
  edge [
    source 2
    target 3
  ]
  edge [
    source 3
    target 4
  ]
  edge [
    source 4
    target 5
  ]
  edge [
    source 5
    target 0
  ]
  edge [
    source 0
    target 6
  ]
  edge [
    source 6
    target 7
  ]
  edge [
    source 7
    target 8
  ]
  edge [
    source 8
    target 9
  ]
  edge [
    source 9
    target 1
  ]
]
