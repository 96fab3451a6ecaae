using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Storebridge.Sidecar.Workflows.Grpc;

/// <summary>
/// Method descriptors of Dapr's <c>TaskHubSidecarService</c>, bound by hand over the SDK's own message types
/// (the SDK ships only a client stub; see docs/decisions/0020).
/// </summary>
internal static class TaskHubSidecarMethods
{
    // The proto declares no package, so the full service name is just the service name.
    public const string ServiceName = "TaskHubSidecarService";

    public static readonly Method<Empty, Empty> Hello = Unary<Empty, Empty>("Hello");
    public static readonly Method<CreateInstanceRequest, CreateInstanceResponse> StartInstance = Unary<CreateInstanceRequest, CreateInstanceResponse>("StartInstance");
    public static readonly Method<GetInstanceRequest, GetInstanceResponse> GetInstance = Unary<GetInstanceRequest, GetInstanceResponse>("GetInstance");
    public static readonly Method<GetInstanceRequest, GetInstanceResponse> WaitForInstanceStart = Unary<GetInstanceRequest, GetInstanceResponse>("WaitForInstanceStart");
    public static readonly Method<GetInstanceRequest, GetInstanceResponse> WaitForInstanceCompletion = Unary<GetInstanceRequest, GetInstanceResponse>("WaitForInstanceCompletion");
    public static readonly Method<RaiseEventRequest, RaiseEventResponse> RaiseEvent = Unary<RaiseEventRequest, RaiseEventResponse>("RaiseEvent");
    public static readonly Method<TerminateRequest, TerminateResponse> TerminateInstance = Unary<TerminateRequest, TerminateResponse>("TerminateInstance");
    public static readonly Method<SuspendRequest, SuspendResponse> SuspendInstance = Unary<SuspendRequest, SuspendResponse>("SuspendInstance");
    public static readonly Method<ResumeRequest, ResumeResponse> ResumeInstance = Unary<ResumeRequest, ResumeResponse>("ResumeInstance");
    public static readonly Method<PurgeInstancesRequest, PurgeInstancesResponse> PurgeInstances = Unary<PurgeInstancesRequest, PurgeInstancesResponse>("PurgeInstances");
    public static readonly Method<GetWorkItemsRequest, WorkItem> GetWorkItems = new(MethodType.ServerStreaming, ServiceName, "GetWorkItems", Marshaller(GetWorkItemsRequest.Parser), Marshaller(WorkItem.Parser));
    public static readonly Method<ActivityResponse, CompleteTaskResponse> CompleteActivityTask = Unary<ActivityResponse, CompleteTaskResponse>("CompleteActivityTask");
    public static readonly Method<WorkflowResponse, CompleteTaskResponse> CompleteOrchestratorTask = Unary<WorkflowResponse, CompleteTaskResponse>("CompleteOrchestratorTask");
    public static readonly Method<WorkflowResponse, CompleteTaskResponse> CompleteWorkflowTask = Unary<WorkflowResponse, CompleteTaskResponse>("CompleteWorkflowTask");
    public static readonly Method<RerunWorkflowFromEventRequest, RerunWorkflowFromEventResponse> RerunWorkflowFromEvent = Unary<RerunWorkflowFromEventRequest, RerunWorkflowFromEventResponse>("RerunWorkflowFromEvent");
    public static readonly Method<ListInstanceIDsRequest, ListInstanceIDsResponse> ListInstanceIDs = Unary<ListInstanceIDsRequest, ListInstanceIDsResponse>("ListInstanceIDs");
    public static readonly Method<GetInstanceHistoryRequest, GetInstanceHistoryResponse> GetInstanceHistory = Unary<GetInstanceHistoryRequest, GetInstanceHistoryResponse>("GetInstanceHistory");

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, ServiceName, name, Marshaller(new MessageParser<TRequest>(() => new TRequest())), Marshaller(new MessageParser<TResponse>(() => new TResponse())));

    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : IMessage<T> =>
        Marshallers.Create(message => message.ToByteArray(), parser.ParseFrom);
}
