using Microsoft.Extensions.Logging;

namespace Storebridge.Sidecar.Workflows.Engine;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Workflow backend for app '{AppId}' opened {DatabasePath}: {Activities} pending activities, {Instances} instances with queued events")]
    public static partial void Recovered(ILogger logger, string appId, string databasePath, int activities, int instances);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Worker stream {Peer} connected")]
    public static partial void WorkerConnected(ILogger logger, string peer);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Worker stream {Peer} closed; {Leases} work items go back to the queue")]
    public static partial void WorkerDisconnected(ILogger logger, string peer, int leases);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Lease on {Kind} work item for instance '{InstanceId}' expired; re-dispatching")]
    public static partial void LeaseExpired(ILogger logger, string kind, string instanceId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Ignoring a {Kind} result with an unknown or expired completion token for instance '{InstanceId}'")]
    public static partial void StaleCompletion(ILogger logger, string kind, string instanceId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Event '{EventName}' for ended instance '{InstanceId}' was dropped")]
    public static partial void EventForEndedInstance(ILogger logger, string eventName, string instanceId);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "Workflow backend background loop failed")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Preparing a work item for instance '{InstanceId}' failed; it will be retried")]
    public static partial void PrepareFailed(ILogger logger, Exception exception, string instanceId);
}
