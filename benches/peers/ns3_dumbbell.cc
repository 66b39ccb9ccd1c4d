// The packet-simulator comparison scenario in ns-3 (3.37, Debian's libns3-dev): Poisson UDP
// sources of 1000-byte payloads (1030 bytes on the wire over PPP) into a 100 Mbit/s bottleneck
// with 1 ms of propagation, either one link (--scenario=single: an M/D/1 queue) or a dumbbell
// (--scenario=dumbbell: --flows senders on 1 Gbit/s, 100 µs access links into a left router,
// the bottleneck, and 1 Gbit/s links from a right router to the receivers). The same scenario runs
// in this project as `cargo run --release -p transport --example dumbbell` and in the criterion
// bench `packet`.
//
// Build (see ../../shared/PEERS.md):
//   g++ -O2 -std=c++17 ns3_dumbbell.cc -o ns3_dumbbell $(pkg-config --cflags --libs ns3-core \
//       ns3-network ns3-internet ns3-point-to-point ns3-applications ns3-traffic-control)
// Run:
//   ./ns3_dumbbell --scenario=single --packets=1000000
//
// Prints one line `scenario=... packets=... wall_s=... packets_per_s=... mean_delay_us=...`,
// where wall_s is the wall time of Simulator::Run() alone and the delay is one-way, from the
// sender's timestamp to the application's receipt (queueing, serialisation and propagation).

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

using namespace ns3;

namespace
{

uint64_t g_received = 0;
double g_delay_sum = 0.0;

// ns-3 ships no Poisson application: this one sends UDP packets with exponential gaps, each
// carrying a SeqTsHeader with its send time.
class PoissonSender : public Application
{
  public:
    void Setup(Address peer, double rate_pps, uint32_t payload, uint64_t count)
    {
        m_peer = peer;
        m_payload = payload;
        m_count = count;
        m_gap = CreateObject<ExponentialRandomVariable>();
        m_gap->SetAttribute("Mean", DoubleValue(1.0 / rate_pps));
    }

  private:
    void StartApplication() override
    {
        m_socket = Socket::CreateSocket(GetNode(), UdpSocketFactory::GetTypeId());
        m_socket->Bind();
        m_socket->Connect(m_peer);
        ScheduleNext();
    }

    void StopApplication() override
    {
        if (m_socket)
        {
            m_socket->Close();
        }
    }

    void ScheduleNext()
    {
        Simulator::Schedule(Seconds(m_gap->GetValue()), &PoissonSender::Send, this);
    }

    void Send()
    {
        SeqTsHeader header;
        header.SetSeq(m_sent);
        Ptr<Packet> p = Create<Packet>(m_payload - header.GetSerializedSize());
        p->AddHeader(header);
        m_socket->Send(p);
        if (++m_sent < m_count)
        {
            ScheduleNext();
        }
    }

    Ptr<Socket> m_socket;
    Address m_peer;
    uint32_t m_payload = 1000;
    uint64_t m_count = 0;
    uint64_t m_sent = 0;
    Ptr<ExponentialRandomVariable> m_gap;
};

void Receive(Ptr<Socket> socket)
{
    Ptr<Packet> p;
    while ((p = socket->Recv()))
    {
        SeqTsHeader header;
        p->RemoveHeader(header);
        g_delay_sum += (Simulator::Now() - header.GetTs()).GetSeconds();
        g_received++;
    }
}

NetDeviceContainer Connect(Ptr<Node> a, Ptr<Node> b, const std::string& rate, const std::string& delay)
{
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(rate));
    p2p.SetChannelAttribute("Delay", StringValue(delay));
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", StringValue("1000p"));
    return p2p.Install(a, b);
}

} // namespace

int main(int argc, char* argv[])
{
    std::string scenario = "single";
    uint32_t flows = 10;
    double rho = 0.9;
    uint64_t packets = 1000000;
    uint32_t seed = 1;
    CommandLine cmd(__FILE__);
    cmd.AddValue("scenario", "single or dumbbell", scenario);
    cmd.AddValue("flows", "senders in the dumbbell", flows);
    cmd.AddValue("rho", "load on the bottleneck", rho);
    cmd.AddValue("packets", "packets in all", packets);
    cmd.AddValue("seed", "run number of the random streams", seed);
    cmd.Parse(argc, argv);
    RngSeedManager::SetSeed(12345);
    RngSeedManager::SetRun(seed);

    const uint32_t payload = 1000; // UDP payload; + 8 UDP + 20 IP + 2 PPP = 1030 bytes on the wire
    const double lambda = rho * 100e6 / (1030.0 * 8.0);
    bool dumbbell = scenario == "dumbbell";
    if (!dumbbell && scenario != "single")
    {
        std::fprintf(stderr, "--scenario must be single or dumbbell\n");
        return 2;
    }
    uint32_t n = dumbbell ? flows : 1;

    NodeContainer senders, receivers, routers;
    senders.Create(n);
    receivers.Create(n);
    InternetStackHelper stack;
    stack.Install(senders);
    stack.Install(receivers);
    Ipv4AddressHelper address;
    std::vector<NetDeviceContainer> links;
    std::vector<Ipv4InterfaceContainer> interfaces;
    auto add = [&](NetDeviceContainer devices) {
        char net[32];
        std::snprintf(net, sizeof(net), "10.%u.%u.0", (unsigned)(links.size() / 250), (unsigned)(links.size() % 250));
        address.SetBase(net, "255.255.255.0");
        interfaces.push_back(address.Assign(devices));
        // No queue discipline in front of the device queue: one FIFO per link, as in the twin.
        TrafficControlHelper().Uninstall(devices);
        links.push_back(devices);
    };
    std::vector<Ipv4Address> sinks;
    if (dumbbell)
    {
        routers.Create(2);
        stack.Install(routers);
        add(Connect(routers.Get(0), routers.Get(1), "100Mbps", "1ms"));
        for (uint32_t i = 0; i < n; i++)
        {
            add(Connect(senders.Get(i), routers.Get(0), "1Gbps", "100us"));
            add(Connect(routers.Get(1), receivers.Get(i), "1Gbps", "100us"));
            sinks.push_back(interfaces.back().GetAddress(1));
        }
        Ipv4GlobalRoutingHelper::PopulateRoutingTables();
    }
    else
    {
        add(Connect(senders.Get(0), receivers.Get(0), "100Mbps", "1ms"));
        sinks.push_back(interfaces.back().GetAddress(1));
    }

    const uint16_t port = 9000;
    for (uint32_t i = 0; i < n; i++)
    {
        Ptr<Socket> sink = Socket::CreateSocket(receivers.Get(i), UdpSocketFactory::GetTypeId());
        sink->Bind(InetSocketAddress(Ipv4Address::GetAny(), port));
        sink->SetRecvCallback(MakeCallback(&Receive));
        Ptr<PoissonSender> app = CreateObject<PoissonSender>();
        app->Setup(InetSocketAddress(sinks[i], port), lambda / n, payload, packets / n);
        senders.Get(i)->AddApplication(app);
        app->SetStartTime(Seconds(0.0));
    }
    Simulator::Stop(Seconds(packets / lambda * 1.5 + 10.0));
    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Simulator::Destroy();
    std::printf("scenario=%s packets=%llu wall_s=%.3f packets_per_s=%.0f mean_delay_us=%.3f\n",
                scenario.c_str(),
                (unsigned long long)g_received,
                wall,
                g_received / wall,
                g_delay_sum / g_received * 1e6);
    return 0;
}
