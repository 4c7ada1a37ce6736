import { type FormatSpec, nodeLabel, type Plan, type PlanNode } from './plan-node.ts';
import { buildTopology } from './topology.ts';

function format(spec: FormatSpec): string {
  if (spec.kind === 'custom') return `custom '${spec.name}'`;
  return spec.kind === 'json' && spec.schema !== undefined ? 'json+schema' : spec.kind;
}

function describe(node: PlanNode): string {
  switch (node.kind) {
    case 'source':
      if (node.generator !== undefined)
        return `source '${node.name}' <- generator (${node.generator.partitions} partition(s), positions as ${node.topic})`;
      return `source '${node.name}' <- topic ${node.topic} (key ${format(node.keyFormat)}, value ${format(node.valueFormat)}, from ${node.startFrom})`;
    case 'sink':
      if (node.blackhole === true) return `sink '${node.name}' -> blackhole`;
      return `sink '${node.name}' -> topic ${node.topic} (key ${format(node.keyFormat)}, value ${format(node.valueFormat)})`;
    case 'aggregate':
      return `aggregate '${node.name}' (${node.op}) [store ${node.store.name}]`;
    case 'process':
      return `process '${node.name}' [stores ${node.stores.map((s) => s.name).join(', ') || 'none'}]`;
    case 'mapAsync':
      return `mapAsync '${node.name}' (concurrency ${node.concurrency})`;
    case 'branch':
      return `branch '${node.name}' (${node.branchNames.join(', ')}, default)`;
    case 'branchOutput':
      return `branch output ${node.index}`;
    case 'eventTime':
      return `eventTime (bounded out of order ${node.maxOutOfOrderMs} ms${node.idleTimeoutMs === undefined ? '' : `, idle after ${node.idleTimeoutMs} ms`})`;
    case 'windowAggregate': {
      const w = node.window;
      const shape =
        w.kind === 'tumbling'
          ? `tumbling ${w.sizeMs} ms`
          : w.kind === 'hopping'
            ? `hopping ${w.sizeMs} ms every ${w.advanceMs} ms`
            : w.kind === 'session'
              ? `session, gap ${w.gapMs} ms`
              : w.kind === 'sliding'
                ? `sliding ${w.sizeMs} ms, resolution ${w.resolutionMs} ms`
                : `decaying, half-life ${w.halfLifeMs} ms`;
      return `windowAggregate '${node.name}' (${node.op}, ${shape}, emit ${node.emit}, lateness ${node.allowedLatenessMs} ms) [store ${node.store.name}]`;
    }
    case 'windowLate':
      return `late records of #${node.inputs[0]}`;
    case 'toTable':
      return `${node.store.global === true ? 'global ' : ''}table '${node.store.name}'${node.map === undefined ? '' : ' (mapValues)'}${node.filter === undefined ? '' : ' (filter)'}`;
    case 'globalTableJoin':
      return `${node.join} join with global table '${node.tableStore}' by a computed key`;
    case 'streamTableJoin':
      return `${node.join} join with table '${node.tableStore}'`;
    case 'foreignKeyJoin':
      return `${node.join} foreign-key join '${node.name}' (table '${node.tableStores[0]}' -> global table '${node.tableStores[1]}') [stores ${node.store.name}, ${node.indexStore.name}]`;
    case 'tableTableJoin':
      return `${node.join} table-table join '${node.name}' (left <- table '${node.tableStores[0]}', right <- table '${node.tableStores[1]}') [store ${node.store.name}]`;
    case 'temporalJoin':
      return `${node.join} temporal join '${node.name}' (as of event time, with the versions of table '${node.tableStore}', history ${node.historyMs} ms) [store ${node.store.name}]`;
    case 'streamStreamJoin':
      return `${node.join} stream-stream join '${node.name}' (left <- #${node.inputs[0]}, right <- #${node.inputs[1]}) within ${node.withinMs} ms (lateness ${node.allowedLatenessMs} ms) [store ${node.store.name}]`;
    default:
      return nodeLabel(node);
  }
}

/**
 * The topology as text: sub-topologies with their input topics, operators (with their inputs),
 * repartition topics, stores and changelog topics, sinks.
 */
export function explainPlan(plan: Plan): string {
  const topology = buildTopology(plan);
  const lines = [
    `pipeline ${plan.pipeline}: ${topology.subTopologies.length} sub-topolog${topology.subTopologies.length === 1 ? 'y' : 'ies'}`,
  ];
  for (const sub of topology.subTopologies) {
    lines.push(`  sub-topology ${sub.id} (one task per input partition)`);
    for (const input of sub.inputs)
      lines.push(
        `    reads ${input.topic} (${input.kind}${input.global ? ', a global table: every partition, from the start, first' : input.table ? ', a table: read first' : ''})`,
      );
    for (const id of sub.nodeIds) {
      const node = plan.nodes[id]!;
      const from = node.inputs.length === 0 ? '' : ` <- ${node.inputs.map((i) => `#${i}`).join(', ')}`;
      lines.push(`    #${id} ${describe(node)}${from}`);
    }
    for (const r of sub.repartitions) lines.push(`    repartition #${r.keyByNodeId} -> topic ${r.topic}`);
    for (const s of sub.stores)
      lines.push(
        `    store ${s.name} of '${s.operator}' (${s.global === true ? 'global: rebuilt from its topic, no changelog' : `changelog ${s.changelogTopic}`}${s.ttlMs === undefined ? '' : `, ttl ${s.ttlMs} ms`})`,
      );
  }
  return lines.join('\n');
}
