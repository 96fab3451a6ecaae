using Dapr;
using Grpc.Core;

namespace Storebridge.ServiceDefaults;

/// <summary>Telling an optimistic-concurrency loss apart from a real state store failure.</summary>
public static class StateConflicts
{
    /// <summary>
    /// True when a state write or transaction failed because another writer got there first (an ETag no longer
    /// matches, or a first-write key already exists): the caller should re-read and decide again.
    /// </summary>
    public static bool IsConflict(DaprException exception) =>
        exception.InnerException is RpcException rpc
        && (rpc.StatusCode == StatusCode.Aborted
            || rpc.Status.Detail.Contains("etag", StringComparison.OrdinalIgnoreCase));
}
