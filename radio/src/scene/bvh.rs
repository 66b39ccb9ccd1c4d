//! A bounding-volume hierarchy over the scene's triangles, built with the binned surface area
//! heuristic and stored as a flat array that a compute shader can walk.
//!
//! ```text
//!   nodes[0] = root ── count == 0: interior; children at left_first and left_first + 1
//!                   └─ count  > 0: leaf; triangles[left_first .. left_first + count]
//! ```
//!
//! Building reorders the triangle array so that every leaf's triangles are contiguous; nothing
//! points anywhere but by index. Each node is 32 bytes: its box and two `u32`s.

use bytemuck::{Pod, Zeroable};

use super::Triangle;
use crate::geometry::Aabb;

/// One node of the hierarchy.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BvhNode {
    /// The box's smallest corner.
    pub min: [f32; 3],
    /// Interior: index of the left child (the right one follows it). Leaf: first triangle.
    pub left_first: u32,
    /// The box's largest corner.
    pub max: [f32; 3],
    /// Zero for an interior node; the number of triangles for a leaf.
    pub count: u32,
}

/// The hierarchy: a flat array of nodes, root first.
#[derive(Debug, Clone, PartialEq)]
pub struct Bvh {
    /// The nodes; `nodes[0]` is the root.
    pub nodes: Vec<BvhNode>,
}

const BINS: usize = 16;
/// Leaves never hold more triangles than this unless their centroids coincide.
const MAX_LEAF: usize = 8;
/// Relative cost of a box test against a triangle test in the SAH.
const TRAVERSAL_COST: f32 = 1.0;
const INTERSECTION_COST: f32 = 1.0;
/// Below this depth the SAH decides; deeper nodes are split at the median, so that the depth
/// stays below `MEDIAN_DEPTH + log2(n)` (well inside the 64-entry traversal stack) whatever the
/// geometry.
const MEDIAN_DEPTH: usize = 40;

fn triangle_bounds(t: &Triangle) -> Aabb {
    let mut b = Aabb::EMPTY;
    for v in t.vertices() {
        b.grow(v);
    }
    b
}

fn centroid(t: &Triangle) -> [f32; 3] {
    let v = t.vertices();
    let mut c = [0.0; 3];
    for (k, ck) in c.iter_mut().enumerate() {
        *ck = (v[0][k] + v[1][k] + v[2][k]) / 3.0;
    }
    c
}

impl Bvh {
    /// Builds the hierarchy over `triangles`, reordering them into leaf order. An empty slice
    /// gives a hierarchy without nodes, which no ray hits.
    pub fn build(triangles: &mut [Triangle]) -> Bvh {
        let n = triangles.len();
        if n == 0 {
            return Bvh { nodes: Vec::new() };
        }
        let bounds: Vec<Aabb> = triangles.iter().map(triangle_bounds).collect();
        let centroids: Vec<[f32; 3]> = triangles.iter().map(centroid).collect();
        // Work on an index permutation and apply it at the end.
        let mut order: Vec<u32> = (0..n as u32).collect();

        let mut nodes = Vec::with_capacity(2 * n.max(1));
        nodes.push(BvhNode { min: [0.0; 3], left_first: 0, max: [0.0; 3], count: n as u32 });
        let mut stack = vec![(0usize, 1usize)];
        while let Some((node_idx, depth)) = stack.pop() {
            let first = nodes[node_idx].left_first as usize;
            let count = nodes[node_idx].count as usize;
            let range = first..first + count;
            let mut node_box = Aabb::EMPTY;
            let mut centroid_box = Aabb::EMPTY;
            for &i in &order[range.clone()] {
                node_box.union(&bounds[i as usize]);
                centroid_box.grow(centroids[i as usize]);
            }
            if count == 0 {
                node_box = Aabb { min: [0.0; 3], max: [0.0; 3] };
            }
            nodes[node_idx].min = node_box.min;
            nodes[node_idx].max = node_box.max;
            if count <= 2 {
                continue;
            }
            let left = if depth >= MEDIAN_DEPTH {
                // Median split along the widest centroid axis.
                let ext = centroid_box.extent();
                let axis = (0..3).fold(0, |a, k| if ext[k] > ext[a] { k } else { a });
                let slice = &mut order[range];
                slice.sort_by(|&a, &b| {
                    centroids[a as usize][axis].total_cmp(&centroids[b as usize][axis])
                });
                count / 2
            } else {
                let Some((axis, split_pos, split_cost)) =
                    best_split(&order[range.clone()], &bounds, &centroids, &centroid_box)
                else {
                    if count <= MAX_LEAF {
                        continue;
                    }
                    // Coincident centroids: halve the range so that leaves stay small.
                    let left = count / 2;
                    push_children(&mut nodes, &mut stack, node_idx, first, count, left, depth);
                    continue;
                };
                let leaf_cost = INTERSECTION_COST * count as f32;
                let split_cost =
                    TRAVERSAL_COST + split_cost / node_box.half_area().max(f32::MIN_POSITIVE);
                if split_cost >= leaf_cost && count <= MAX_LEAF {
                    continue;
                }
                // Partition the node's range around the split plane.
                let slice = &mut order[range];
                let mut left = 0;
                for j in 0..slice.len() {
                    if centroids[slice[j] as usize][axis] < split_pos {
                        slice.swap(left, j);
                        left += 1;
                    }
                }
                left
            };
            let left = if left == 0 || left == count {
                // All centroids on one side (nearly coincident): split the range in half so
                // that leaves stay small.
                count / 2
            } else {
                left
            };
            push_children(&mut nodes, &mut stack, node_idx, first, count, left, depth);
        }
        // Apply the permutation to the triangles.
        let reordered: Vec<Triangle> = order.iter().map(|&i| triangles[i as usize]).collect();
        triangles.copy_from_slice(&reordered);
        Bvh { nodes }
    }

    /// The depth of the tree (a root alone has depth 1; no nodes, 0).
    pub fn depth(&self) -> usize {
        if self.nodes.is_empty() {
            return 0;
        }
        fn rec(nodes: &[BvhNode], i: usize) -> usize {
            let n = &nodes[i];
            if n.count > 0 || nodes.len() == 1 {
                1
            } else {
                1 + rec(nodes, n.left_first as usize).max(rec(nodes, n.left_first as usize + 1))
            }
        }
        rec(&self.nodes, 0)
    }
}

/// Turns `node_idx` into an interior node whose children cover `first..first + left` and the
/// rest of its `count` triangles, and queues them.
fn push_children(
    nodes: &mut Vec<BvhNode>,
    stack: &mut Vec<(usize, usize)>,
    node_idx: usize,
    first: usize,
    count: usize,
    left: usize,
    depth: usize,
) {
    let left_idx = nodes.len();
    nodes.push(BvhNode {
        min: [0.0; 3],
        left_first: first as u32,
        max: [0.0; 3],
        count: left as u32,
    });
    nodes.push(BvhNode {
        min: [0.0; 3],
        left_first: (first + left) as u32,
        max: [0.0; 3],
        count: (count - left) as u32,
    });
    nodes[node_idx].left_first = left_idx as u32;
    nodes[node_idx].count = 0;
    stack.push((left_idx, depth + 1));
    stack.push((left_idx + 1, depth + 1));
}

/// The cheapest binned SAH split of the given triangles: `(axis, position, cost)`, where cost is
/// `A_left·N_left + A_right·N_right`. `None` if the centroids do not spread along any axis.
fn best_split(
    items: &[u32],
    bounds: &[Aabb],
    centroids: &[[f32; 3]],
    centroid_box: &Aabb,
) -> Option<(usize, f32, f32)> {
    let mut best: Option<(usize, f32, f32)> = None;
    for (axis, (&lo, &hi)) in centroid_box.min.iter().zip(&centroid_box.max).enumerate() {
        // Also skips NaN extents.
        if hi.is_nan() || lo.is_nan() || hi <= lo {
            continue;
        }
        let scale = BINS as f32 / (hi - lo);
        let mut bin_box = [Aabb::EMPTY; BINS];
        let mut bin_count = [0u32; BINS];
        for &i in items {
            let b = (((centroids[i as usize][axis] - lo) * scale) as usize).min(BINS - 1);
            bin_count[b] += 1;
            bin_box[b].union(&bounds[i as usize]);
        }
        // Sweep from the left and from the right.
        let mut left_area = [0.0f32; BINS - 1];
        let mut left_count = [0u32; BINS - 1];
        let mut acc = Aabb::EMPTY;
        let mut cnt = 0;
        for k in 0..BINS - 1 {
            acc.union(&bin_box[k]);
            cnt += bin_count[k];
            left_area[k] = acc.half_area();
            left_count[k] = cnt;
        }
        let mut acc = Aabb::EMPTY;
        let mut cnt = 0;
        for k in (1..BINS).rev() {
            acc.union(&bin_box[k]);
            cnt += bin_count[k];
            let cost = left_area[k - 1] * left_count[k - 1] as f32 + acc.half_area() * cnt as f32;
            if left_count[k - 1] > 0 && cnt > 0 && best.is_none_or(|b| cost < b.2) {
                best = Some((axis, lo + k as f32 / scale, cost));
            }
        }
    }
    best
}

/// A node of the 4-wide hierarchy: the boxes of up to four children side by side (structure of
/// arrays), so that one ray is tested against all four with vector instructions. 128 bytes.
///
/// Child `k` is an interior node (`count[k] == 0`, index `child[k]` into [`Bvh4::nodes`]), a leaf
/// (`count[k] > 0` blocks of four triangles from `child[k]` in [`Bvh4::triangles`]), or empty
/// (`count[k] == 0` and `child[k] == u32::MAX`, with an inverted box that no ray enters).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Bvh4Node {
    /// Smallest x of each child's box.
    pub min_x: [f32; 4],
    /// Smallest y of each child's box.
    pub min_y: [f32; 4],
    /// Smallest z of each child's box.
    pub min_z: [f32; 4],
    /// Largest x of each child's box.
    pub max_x: [f32; 4],
    /// Largest y of each child's box.
    pub max_y: [f32; 4],
    /// Largest z of each child's box.
    pub max_z: [f32; 4],
    /// Child node index, or first triangle block of a leaf.
    pub child: [u32; 4],
    /// Triangle blocks of a leaf child; 0 for an interior or empty child.
    pub count: [u32; 4],
}

/// Four triangles side by side (structure of arrays) for one 4-wide ray–triangle test: a leaf's
/// triangles in blocks of four, unused lanes degenerate (zero edges never hit).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Tri4 {
    /// First vertex, x of each lane.
    pub v0x: [f32; 4],
    /// First vertex, y.
    pub v0y: [f32; 4],
    /// First vertex, z.
    pub v0z: [f32; 4],
    /// First edge, x.
    pub e1x: [f32; 4],
    /// First edge, y.
    pub e1y: [f32; 4],
    /// First edge, z.
    pub e1z: [f32; 4],
    /// Second edge, x.
    pub e2x: [f32; 4],
    /// Second edge, y.
    pub e2y: [f32; 4],
    /// Second edge, z.
    pub e2z: [f32; 4],
    /// Index of each lane's triangle in the scene's triangle array; `u32::MAX` for unused lanes.
    pub id: [u32; 4],
}

/// The 4-wide hierarchy, made by collapsing the binary one: each node adopts the children of its
/// largest interior children until it has four. It halves the number of nodes a ray visits.
/// The root is `nodes[0]`; a scene whose binary root is a leaf has a root with that one leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct Bvh4 {
    /// The nodes; `nodes[0]` is the root.
    pub nodes: Vec<Bvh4Node>,
    /// The leaves' triangles in blocks of four.
    pub triangles: Vec<Tri4>,
}

/// Marks an empty child slot.
pub const EMPTY_CHILD: u32 = u32::MAX;

impl Bvh4 {
    /// Collapses a binary hierarchy over `triangles` (in the binary hierarchy's order).
    pub fn from_binary(bvh: &Bvh, triangles: &[Triangle]) -> Bvh4 {
        let bin = &bvh.nodes;
        if bin.is_empty() {
            return Bvh4 { nodes: Vec::new(), triangles: Vec::new() };
        }
        let mut blocks: Vec<Tri4> = Vec::new();
        let mut nodes: Vec<Bvh4Node> = Vec::with_capacity(bin.len() / 2 + 1);
        let area = |i: u32| {
            let n = &bin[i as usize];
            Aabb { min: n.min, max: n.max }.half_area()
        };
        // Each entry: (binary node to expand, index of the 4-wide node to fill).
        nodes.push(Bvh4Node::zeroed());
        let mut work = vec![(0u32, 0usize)];
        while let Some((root, slot)) = work.pop() {
            // Gather up to four binary descendants.
            let mut kids: Vec<u32> = if bin[root as usize].count > 0 {
                vec![root]
            } else {
                vec![bin[root as usize].left_first, bin[root as usize].left_first + 1]
            };
            while kids.len() < 4 {
                // Open the interior child with the largest box.
                let Some((pos, _)) = kids
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| bin[**k as usize].count == 0)
                    .max_by(|a, b| area(*a.1).total_cmp(&area(*b.1)))
                else {
                    break;
                };
                let k = kids.remove(pos);
                let first = bin[k as usize].left_first;
                kids.push(first);
                kids.push(first + 1);
            }
            let mut node = Bvh4Node {
                min_x: [f32::INFINITY; 4],
                min_y: [f32::INFINITY; 4],
                min_z: [f32::INFINITY; 4],
                max_x: [f32::NEG_INFINITY; 4],
                max_y: [f32::NEG_INFINITY; 4],
                max_z: [f32::NEG_INFINITY; 4],
                child: [EMPTY_CHILD; 4],
                count: [0; 4],
            };
            for (k, &b) in kids.iter().enumerate() {
                let n = &bin[b as usize];
                node.min_x[k] = n.min[0];
                node.min_y[k] = n.min[1];
                node.min_z[k] = n.min[2];
                node.max_x[k] = n.max[0];
                node.max_y[k] = n.max[1];
                node.max_z[k] = n.max[2];
                if n.count > 0 {
                    let first_block = blocks.len();
                    let range = n.left_first as usize..(n.left_first + n.count) as usize;
                    for (chunk_start, chunk) in
                        range.clone().step_by(4).zip(triangles[range].chunks(4))
                    {
                        let mut block = Tri4::zeroed();
                        block.id = [u32::MAX; 4];
                        for (lane, t) in chunk.iter().enumerate() {
                            block.v0x[lane] = t.v0[0];
                            block.v0y[lane] = t.v0[1];
                            block.v0z[lane] = t.v0[2];
                            block.e1x[lane] = t.e1[0];
                            block.e1y[lane] = t.e1[1];
                            block.e1z[lane] = t.e1[2];
                            block.e2x[lane] = t.e2[0];
                            block.e2y[lane] = t.e2[1];
                            block.e2z[lane] = t.e2[2];
                            block.id[lane] = (chunk_start + lane) as u32;
                        }
                        blocks.push(block);
                    }
                    node.child[k] = first_block as u32;
                    node.count[k] = (blocks.len() - first_block) as u32;
                } else {
                    let idx = nodes.len();
                    nodes.push(Bvh4Node::zeroed());
                    node.child[k] = idx as u32;
                    work.push((b, idx));
                }
            }
            nodes[slot] = node;
        }
        Bvh4 { nodes, triangles: blocks }
    }
}
