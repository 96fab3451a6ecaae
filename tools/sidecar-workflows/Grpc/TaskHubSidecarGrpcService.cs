using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Storebridge.Sidecar.Workflows.Engine;

namespace Storebridge.Sidecar.Workflows.Grpc;

/// <summary>
/// Server binding of Dapr's <c>TaskHubSidecarService</c>, written by hand because the SDK ships only the client stub.
/// ASP.NET Core gRPC resolves each handler by RPC name as an override of a method declared on the type that carries
/// <see cref="BindServiceMethodAttribute"/>, hence this abstract base (the shape protoc would generate).
/// </summary>
[BindServiceMethod(typeof(TaskHubSidecarServiceBase), nameof(BindService))]
internal abstract class TaskHubSidecarServiceBase
{
    public static void BindService(ServiceBinderBase binder, TaskHubSidecarServiceBase? service)
    {
        binder.AddMethod(TaskHubSidecarMethods.Hello, service is null ? null : service.Hello);
        binder.AddMethod(TaskHubSidecarMethods.StartInstance, service is null ? null : service.StartInstance);
        binder.AddMethod(TaskHubSidecarMethods.GetInstance, service is null ? null : service.GetInstance);
        binder.AddMethod(TaskHubSidecarMethods.WaitForInstanceStart, service is null ? null : service.WaitForInstanceStart);
        binder.AddMethod(TaskHubSidecarMethods.WaitForInstanceCompletion, service is null ? null : service.WaitForInstanceCompletion);
        binder.AddMethod(TaskHubSidecarMethods.RaiseEvent, service is null ? null : service.RaiseEvent);
        binder.AddMethod(TaskHubSidecarMethods.TerminateInstance, service is null ? null : service.TerminateInstance);
        binder.AddMethod(TaskHubSidecarMethods.SuspendInstance, service is null ? null : service.SuspendInstance);
        binder.AddMethod(TaskHubSidecarMethods.ResumeInstance, service is null ? null : service.ResumeInstance);
        binder.AddMethod(TaskHubSidecarMethods.PurgeInstances, service is null ? null : service.PurgeInstances);
        binder.AddMethod(TaskHubSidecarMethods.GetWorkItems, service is null ? null : service.GetWorkItems);
        binder.AddMethod(TaskHubSidecarMethods.CompleteActivityTask, service is null ? null : service.CompleteActivityTask);
        binder.AddMethod(TaskHubSidecarMethods.CompleteOrchestratorTask, service is null ? null : service.CompleteOrchestratorTask);
        binder.AddMethod(TaskHubSidecarMethods.CompleteWorkflowTask, service is null ? null : service.CompleteWorkflowTask);
        binder.AddMethod(TaskHubSidecarMethods.RerunWorkflowFromEvent, service is null ? null : service.RerunWorkflowFromEvent);
        binder.AddMethod(TaskHubSidecarMethods.ListInstanceIDs, service is null ? null : service.ListInstanceIDs);
        binder.AddMethod(TaskHubSidecarMethods.GetInstanceHistory, service is null ? null : service.GetInstanceHistory);
    }

    public abstract Task<Empty> Hello(Empty request, ServerCallContext context);

    public abstract Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context);

    public abstract Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context);

    public abstract Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context);

    public abstract Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context);

    public abstract Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context);

    public abstract Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context);

    public abstract Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context);

    public abstract Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context);

    public abstract Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context);

    public abstract Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context);

    public abstract Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context);

    public abstract Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context);

    public abstract Task<CompleteTaskResponse> CompleteWorkflowTask(WorkflowResponse request, ServerCallContext context);

    public abstract Task<RerunWorkflowFromEventResponse> RerunWorkflowFromEvent(RerunWorkflowFromEventRequest request, ServerCallContext context);

    public abstract Task<ListInstanceIDsResponse> ListInstanceIDs(ListInstanceIDsRequest request, ServerCallContext context);

    public abstract Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context);
}

/// <summary>Server side of Dapr's <c>TaskHubSidecarService</c>, delegating to the <see cref="WorkflowEngine"/>.</summary>
internal sealed class TaskHubSidecarGrpcService(WorkflowEngine engine) : TaskHubSidecarServiceBase
{
    public override Task<Empty> Hello(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    public override async Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context)
    {
        var id = await engine.StartInstanceAsync(request, context.CancellationToken);
        return new CreateInstanceResponse { InstanceId = id };
    }

    public override Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context) =>
        engine.GetInstanceAsync(RequireId(request.InstanceId), request.GetInputsAndOutputs, context.CancellationToken);

    public override Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context) =>
        engine.WaitForInstanceAsync(RequireId(request.InstanceId), request.GetInputsAndOutputs, WaitCondition.Started, context.CancellationToken);

    public override Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context) =>
        engine.WaitForInstanceAsync(RequireId(request.InstanceId), request.GetInputsAndOutputs, WaitCondition.Completed, context.CancellationToken);

    public override async Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "An event name is required."));
        }

        await engine.RaiseEventAsync(RequireId(request.InstanceId), request.Name, request.Input, context.CancellationToken);
        return new RaiseEventResponse();
    }

    public override async Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context)
    {
        await engine.TerminateAsync(RequireId(request.InstanceId), request.Output, request.Recursive, context.CancellationToken);
        return new TerminateResponse();
    }

    public override async Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context)
    {
        await engine.SuspendAsync(RequireId(request.InstanceId), request.Reason, context.CancellationToken);
        return new SuspendResponse();
    }

    public override async Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context)
    {
        await engine.ResumeAsync(RequireId(request.InstanceId), request.Reason, context.CancellationToken);
        return new ResumeResponse();
    }

    public override Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context) =>
        engine.PurgeAsync(request, context.CancellationToken);

    public override Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context) =>
        engine.RunWorkerStreamAsync(responseStream, context.Peer, context.CancellationToken);

    public override async Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context)
    {
        await engine.CompleteActivityAsync(request, context.CancellationToken);
        return new CompleteTaskResponse();
    }

    public override async Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context)
    {
        await engine.CompleteOrchestrationAsync(request, context.CancellationToken);
        return new CompleteTaskResponse();
    }

    public override Task<CompleteTaskResponse> CompleteWorkflowTask(WorkflowResponse request, ServerCallContext context) =>
        CompleteOrchestratorTask(request, context);

    public override Task<RerunWorkflowFromEventResponse> RerunWorkflowFromEvent(RerunWorkflowFromEventRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "RerunWorkflowFromEvent is not supported by the local runtime."));

    public override Task<ListInstanceIDsResponse> ListInstanceIDs(ListInstanceIDsRequest request, ServerCallContext context) =>
        engine.ListInstanceIdsAsync(
            request.HasContinuationToken ? request.ContinuationToken : null,
            request.HasPageSize ? (int)Math.Min(request.PageSize, int.MaxValue) : null,
            context.CancellationToken);

    public override async Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context)
    {
        var history = await engine.GetHistoryAsync(RequireId(request.InstanceId), context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"Workflow instance '{request.InstanceId}' does not exist."));
        var response = new GetInstanceHistoryResponse();
        response.Events.AddRange(history);
        return response;
    }

    private static string RequireId(string instanceId) =>
        string.IsNullOrWhiteSpace(instanceId)
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, "An instance id is required."))
            : instanceId;
}
