using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Reservations;

/// <summary>What a reserve call asks for, validated.</summary>
/// <param name="OrderRef">Order reference (idempotency key).</param>
/// <param name="StoreId">Store the order came from.</param>
/// <param name="Lines">SKUs and quantities.</param>
/// <param name="HoldFor">How long to hold, null for the default.</param>
public sealed record ReserveCommand(string OrderRef, string StoreId, IReadOnlyList<RequestedLine> Lines, TimeSpan? HoldFor);

/// <summary>The reservation made (or found), or the shortages that prevented it.</summary>
/// <param name="Reservation">The reservation when every line could be held.</param>
/// <param name="Shortages">SKUs that could not be held in full (then nothing is held).</param>
public sealed record ReserveOutcome(ReservationRecord? Reservation, IReadOnlyList<Shortage> Shortages);

/// <summary>
/// Reserve, commit, release and expire. Each is a read–decide–write loop over the SKU documents and the reservation,
/// written as one state transaction with ETags; losing a race to another replica means reading again. Events go
/// into the outbox of a SKU document written in that transaction (docs/decisions/0054).
/// </summary>
/// <remarks>
/// Concurrent reserve calls in one replica are decided together (group commit): whoever finds no batch running
/// takes every waiting call, reads all their documents in one bulk read, decides them in arrival order against that
/// state and writes one transaction. Calls on the same SKU then follow each other in memory instead of colliding on
/// its ETag, and a burst costs two runtime calls per batch instead of per call.
/// </remarks>
public sealed partial class ReservationService(
    InventoryState state,
    StockRules rules,
    AvailabilityPublisher publisher,
    TimeProvider time,
    ILogger<ReservationService> logger)
{
    private readonly ConcurrentQueue<PendingReserve> _waiting = new();
    private int _batchRunning;

    /// <summary>Holds every line or none; a repeated call for the same order returns the first reservation.</summary>
    public async Task<ReserveOutcome> ReserveAsync(ReserveCommand command, CancellationToken cancellationToken)
    {
        var pending = new PendingReserve(command with { Lines = Merge(command.Lines) }, cancellationToken);
        _waiting.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _batchRunning, 1, 0) == 0)
        {
            _ = Task.Run(RunBatchesAsync, CancellationToken.None);
        }

        return await pending.Outcome.Task.WaitAsync(cancellationToken);
    }

    private async Task RunBatchesAsync()
    {
        var batch = new List<PendingReserve>(rules.Options.ReserveBatchSize);
        while (true)
        {
            while (batch.Count < rules.Options.ReserveBatchSize && _waiting.TryDequeue(out var next))
            {
                if (next.CancellationToken.IsCancellationRequested)
                {
                    next.Outcome.TrySetCanceled(next.CancellationToken);
                    continue;
                }

                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _batchRunning, 0);
                // A call queued after the last dequeue but before the flag dropped would otherwise wait forever.
                if (_waiting.IsEmpty || Interlocked.CompareExchange(ref _batchRunning, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                await ReserveBatchAsync(batch);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Outcome.TrySetException(ex);
                }
            }

            batch.Clear();
        }
    }

    private async Task ReserveBatchAsync(List<PendingReserve> batch)
    {
        var reservationKeys = batch.Select(p => InventoryState.ReservationKey(p.Command.OrderRef)).Distinct(StringComparer.Ordinal).ToList();
        var skuKeys = batch.SelectMany(p => p.Command.Lines).Select(l => InventoryState.SkuKey(l.Sku)).Distinct(StringComparer.Ordinal).ToList();
        // One read for the batch. The first attempt assumes new orders and skips their reservation keys: a reservation
        // is created first-write-only, so a repeated order fails the transaction, and an answer that writes nothing
        // (a shortage) is only given after reading them.
        var readReservations = false;
        for (var attempt = 1; ; attempt++)
        {
            var (reservations, skus) = await state.GetManyAsync<ReservationRecord, SkuStock>(readReservations ? reservationKeys : [], skuKeys, CancellationToken.None);
            var docs = skus.ToDictionary(d => d.Key, StringComparer.Ordinal);
            var existing = reservations.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
            var now = time.GetUtcNow();
            var decisions = new Dictionary<PendingReserve, Decision>();
            var created = new Dictionary<string, ReservationRecord>(StringComparer.Ordinal);
            var touched = new List<Versioned<SkuStock>>();
            foreach (var pending in batch)
            {
                try
                {
                    decisions[pending] = Decide(pending.Command, docs, existing, created, touched, now);
                }
                catch (InventoryException ex)
                {
                    decisions[pending] = new Decision(null, ex, Outcome: "error");
                }
            }

            if (!readReservations && decisions.Values.Any(d => d.Outcome == "short"))
            {
                readReservations = true;
                continue;
            }

            var staged = new List<OutboxEvent>();
            var writes = new List<StateWrite>();
            foreach (var doc in touched)
            {
                publisher.Prune(doc.Value!);
                doc.Value!.Version++;
                publisher.StageChanges(doc.Value, rules.RefreshPublished(doc.Value, now), now, staged);
            }

            foreach (var record in created.Values)
            {
                // The reserved event travels in the outbox of the reservation's first SKU, written in this transaction.
                var first = docs[InventoryState.SkuKey(record.Requested[0].Sku)].Value!;
                publisher.Stage(first, new StockReserved { Reservation = record.ToContract(), OccurredAt = Timestamp.FromDateTimeOffset(now) }, now, staged);
                writes.Add(new StateWrite(InventoryState.ReservationKey(record.OrderRef), record, null, CreateOnly: true));
            }

            writes.InsertRange(0, touched.Select(d => new StateWrite(d.Key, d.Value, d.ETag)));
            if (writes.Count == 0 || await state.TryWriteAsync(writes, CancellationToken.None))
            {
                publisher.Written(staged);
                foreach (var (pending, decision) in decisions)
                {
                    InventoryMetrics.Reservations.Add(1, new KeyValuePair<string, object?>("outcome", decision.Outcome));
                    if (decision.Error is { } error)
                    {
                        pending.Outcome.TrySetException(error);
                        continue;
                    }

                    if (decision.Outcome == "reserved")
                    {
                        LogReserved(logger, pending.Command.OrderRef, pending.Command.StoreId, decision.Result!.Reservation!.Lines.Count, attempt);
                    }

                    pending.Outcome.TrySetResult(decision.Result!);
                }

                return;
            }

            readReservations = true;
            await BackOffAsync(attempt, CancellationToken.None);
        }
    }

    /// <summary>Decides one reserve call against the batch's documents, holding its stock in them when it fits.</summary>
    private Decision Decide(
        ReserveCommand command,
        Dictionary<string, Versioned<SkuStock>> docs,
        Dictionary<string, ReservationRecord?> existing,
        Dictionary<string, ReservationRecord> created,
        List<Versioned<SkuStock>> touched,
        DateTimeOffset now)
    {
        var requested = (List<RequestedLine>)command.Lines;
        if ((created.GetValueOrDefault(command.OrderRef) ?? existing.GetValueOrDefault(InventoryState.ReservationKey(command.OrderRef))) is { } found)
        {
            return new Decision(new ReserveOutcome(SameRequest(found, command.StoreId, requested), []), null, "repeat");
        }

        var unknown = requested.Where(l => docs[InventoryState.SkuKey(l.Sku)].Value is null).Select(l => l.Sku).ToList();
        if (unknown.Count > 0)
        {
            throw new InventoryException(StatusCode.NotFound, $"Unknown SKU(s): {string.Join(", ", unknown)}.",
                [.. unknown.Select(s => new InventoryProblem("sku", s, "The inventory has no stock record for this SKU.", IsField: false))]);
        }

        var holdFor = command.HoldFor ?? rules.Options.DefaultHold;
        var record = new ReservationRecord
        {
            OrderRef = command.OrderRef,
            StoreId = command.StoreId,
            Requested = requested,
            Status = ReservationStatus.Held,
            CreatedAt = now,
            ExpiresAt = now + holdFor,
        };
        var shortages = new List<Shortage>();
        var splits = new List<(Versioned<SkuStock> Doc, Dictionary<string, int> Split)>();
        foreach (var line in requested)
        {
            var doc = docs[InventoryState.SkuKey(line.Sku)];
            var split = rules.Allocate(doc.Value!, command.StoreId, line.Quantity, now);
            if (split is null)
            {
                shortages.Add(new Shortage { Sku = line.Sku, Requested = line.Quantity, Available = rules.AvailableForStore(doc.Value!, command.StoreId, now) });
                continue;
            }

            splits.Add((doc, split));
            record.Lines.AddRange(split.Select(s => new AllocatedLine(line.Sku, s.Key, s.Value)));
        }

        if (shortages.Count > 0)
        {
            return new Decision(new ReserveOutcome(null, shortages), null, "short");
        }

        // Only a call that fits holds anything, so a shortage leaves the batch's documents as they were.
        foreach (var (doc, split) in splits)
        {
            doc.Value!.Holds[command.OrderRef] = new Hold { StoreId = command.StoreId, Quantities = split, State = HoldState.Held, ExpiresAt = record.ExpiresAt };
            if (!touched.Contains(doc))
            {
                touched.Add(doc);
            }
        }

        created[command.OrderRef] = record;
        return new Decision(new ReserveOutcome(record, []), null, "reserved");
    }

    /// <summary>Marks the reservation as covered by the acknowledged ERP order; committing twice is harmless.</summary>
    public async Task<ReservationRecord> CommitAsync(string orderRef, string? erpSalesOrderId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (reservation, docs) = await LoadAsync(orderRef, cancellationToken);
            var record = reservation.Value!;
            var now = time.GetUtcNow();
            switch (record.Status)
            {
                case ReservationStatus.Committed:
                    return record;
                case ReservationStatus.Released or ReservationStatus.Expired:
                    throw new InventoryException(StatusCode.FailedPrecondition,
                        $"Reservation {orderRef} is {record.Status} and cannot be committed.",
                        [new InventoryProblem("reservation", orderRef, $"status is {record.Status}", IsField: false)]);
                case ReservationStatus.Held when record.ExpiresAt <= now:
                    // Its stock already counts as available again; committing now could sell it twice.
                    throw new InventoryException(StatusCode.FailedPrecondition,
                        $"Reservation {orderRef} expired at {record.ExpiresAt:O}.",
                        [new InventoryProblem("reservation", orderRef, "the hold expired before the commit", IsField: false)]);
            }

            record.Status = ReservationStatus.Committed;
            record.ErpSalesOrderId = string.IsNullOrEmpty(erpSalesOrderId) ? record.ErpSalesOrderId : erpSalesOrderId;
            var writes = new List<StateWrite>();
            foreach (var doc in docs)
            {
                if (doc.Value!.Holds.TryGetValue(orderRef, out var hold))
                {
                    hold.State = HoldState.Committed;
                    hold.CommittedAt = now;
                    publisher.Prune(doc.Value);
                    doc.Value.Version++;
                    writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
                }
            }

            var staged = new List<OutboxEvent>();
            StageReservationEvent(docs, writes, new ReservationCommitted { Reservation = record.ToContract(), OccurredAt = Timestamp.FromDateTimeOffset(now) }, now, staged);
            writes.Add(new StateWrite(reservation.Key, record, reservation.ETag));
            if (await state.TryWriteAsync(writes, cancellationToken))
            {
                LogCommitted(logger, orderRef, record.ErpSalesOrderId);
                publisher.Written(staged);
                return record;
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    /// <summary>Gives the stock back; releasing a released or expired reservation returns it unchanged.</summary>
    public Task<ReservationRecord> ReleaseAsync(string orderRef, string? reason, CancellationToken cancellationToken) =>
        CloseAsync(orderRef, ReservationStatus.Released, reason, onlyIfExpired: false, cancellationToken)!;

    /// <summary>Expires the reservation if it is still held past its time; returns null when there was nothing to do.</summary>
    public Task<ReservationRecord?> ExpireAsync(string orderRef, CancellationToken cancellationToken) =>
        CloseAsync(orderRef, ReservationStatus.Expired, "expired", onlyIfExpired: true, cancellationToken);

    private async Task<ReservationRecord?> CloseAsync(string orderRef, ReservationStatus closeAs, string? reason, bool onlyIfExpired, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (reservation, docs) = await LoadAsync(orderRef, cancellationToken);
            var record = reservation.Value!;
            var now = time.GetUtcNow();
            if (record.Status is ReservationStatus.Released or ReservationStatus.Expired)
            {
                return onlyIfExpired ? null : record;
            }

            if (onlyIfExpired && (record.Status != ReservationStatus.Held || record.ExpiresAt > now))
            {
                return null;
            }

            record.Status = closeAs;
            record.Reason = reason;
            record.ClosedAt = now;
            var staged = new List<OutboxEvent>();
            var writes = new List<StateWrite>();
            foreach (var doc in docs)
            {
                if (doc.Value!.Holds.Remove(orderRef))
                {
                    publisher.Prune(doc.Value);
                    doc.Value.Version++;
                    publisher.StageChanges(doc.Value, rules.RefreshPublished(doc.Value, now), now, staged);
                    writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
                }
            }

            var occurred = Timestamp.FromDateTimeOffset(now);
            IMessage closed = closeAs == ReservationStatus.Expired
                ? new ReservationExpired { Reservation = record.ToContract(), OccurredAt = occurred }
                : new ReservationReleased { Reservation = record.ToContract(), Reason = reason ?? "", OccurredAt = occurred };
            StageReservationEvent(docs, writes, closed, now, staged);
            writes.Add(new StateWrite(reservation.Key, record, reservation.ETag));
            if (await state.TryWriteAsync(writes, cancellationToken))
            {
                LogClosed(logger, orderRef, closeAs);
                publisher.Written(staged);
                return record;
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    /// <summary>
    /// Stages a reservation event in the outbox of the first SKU document the transaction writes; when it writes none
    /// (the holds were already covered by the ERP), that document is written just to carry the event.
    /// </summary>
    private void StageReservationEvent(List<Versioned<SkuStock>> docs, List<StateWrite> writes, IMessage message, DateTimeOffset now, List<OutboxEvent> staged)
    {
        var carrier = docs.FirstOrDefault(d => writes.Any(w => w.Key == d.Key)) ?? docs.FirstOrDefault();
        if (carrier is null)
        {
            throw new InvalidOperationException("A reservation without SKU documents has no outbox to carry its event.");
        }

        if (!writes.Any(w => w.Key == carrier.Key))
        {
            publisher.Prune(carrier.Value!);
            writes.Add(new StateWrite(carrier.Key, carrier.Value, carrier.ETag));
        }

        publisher.Stage(carrier.Value!, message, now, staged);
    }

    private async Task<(Versioned<ReservationRecord> Reservation, List<Versioned<SkuStock>> Docs)> LoadAsync(string orderRef, CancellationToken cancellationToken)
    {
        var reservation = await state.GetAsync<ReservationRecord>(InventoryState.ReservationKey(orderRef), cancellationToken);
        if (reservation.Value is null)
        {
            throw new InventoryException(StatusCode.NotFound, $"No reservation for order {orderRef}.",
                [new InventoryProblem("reservation", orderRef, "no reservation with this order reference", IsField: false)]);
        }

        var docs = await state.GetManyAsync<SkuStock>([.. reservation.Value.Skus.Select(InventoryState.SkuKey)], cancellationToken);
        return (reservation, [.. docs.Where(d => d.Value is not null)]);
    }

    private ReservationRecord SameRequest(ReservationRecord found, string storeId, List<RequestedLine> requested)
    {
        if (found.StoreId == storeId && found.Requested.SequenceEqual(requested))
        {
            return found;
        }

        throw new InventoryException(StatusCode.AlreadyExists,
            $"Order {found.OrderRef} already has a reservation with different lines or store.",
            [new InventoryProblem("reservation", found.OrderRef, "a repeated reserve must carry the same store and lines", IsField: false)]);
    }

    /// <summary>Lines merged per SKU and sorted, so the same order always reads as the same request.</summary>
    internal static List<RequestedLine> Merge(IEnumerable<RequestedLine> lines) =>
        [.. lines.GroupBy(l => l.Sku, StringComparer.Ordinal)
            .Select(g => new RequestedLine(g.Key, checked(g.Sum(l => l.Quantity))))
            .OrderBy(l => l.Sku, StringComparer.Ordinal)];

    private async Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        if (attempt >= rules.Options.MaxConcurrencyAttempts)
        {
            throw new InventoryException(StatusCode.Aborted, "Too much contention on these SKUs; try again.");
        }

        LogConflict(logger, attempt);
        InventoryMetrics.StateConflicts.Add(1);
        // Jittered, growing pause (wall clock, not business time): replicas that collided on a SKU spread out.
        var ceiling = Math.Min(50, 1 << Math.Min(attempt, 6));
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, ceiling)), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reserved {OrderRef} for store {StoreId}: {Lines} line(s) after {Attempts} attempt(s)")]
    private static partial void LogReserved(ILogger logger, string orderRef, string storeId, int lines, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed reservation {OrderRef} (ERP order {ErpOrder})")]
    private static partial void LogCommitted(ILogger logger, string orderRef, string? erpOrder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {OrderRef} closed as {Status}")]
    private static partial void LogClosed(ILogger logger, string orderRef, ReservationStatus status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State write lost a race (attempt {Attempt}); reading again")]
    private static partial void LogConflict(ILogger logger, int attempt);
}

/// <summary>A reserve call waiting for its batch.</summary>
internal sealed class PendingReserve(ReserveCommand command, CancellationToken cancellationToken)
{
    public ReserveCommand Command { get; } = command;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<ReserveOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>What the batch decided for one call: its outcome, or the error to answer with.</summary>
/// <param name="Result">The outcome.</param>
/// <param name="Error">The error instead of an outcome.</param>
/// <param name="Outcome">Metric tag: reserved, short, repeat or error.</param>
internal sealed record Decision(ReserveOutcome? Result, InventoryException? Error, string Outcome);
