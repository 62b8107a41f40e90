# The algorithm-suite budget, shared by run.sh and side-by-side.sh (sourced, not run).
# COMMON: the flags every `fedswift simulate` run of the table takes (plus --workers and --seed).
COMMON=(--dataset fmnist --model mlp --clients 10 --partition dirichlet:0.5 --sample 10 --rounds 20
        --epochs 1 --batch 32 --lr 0.05)
# hyperparameters ALGORITHM: prints the algorithm's own flags (the defaults of the table, not tuned).
hyperparameters() {
  case $1 in
    fedprox) echo "--mu 0.01" ;;
    fedavgm) echo "--server-momentum 0.9" ;;
    feddyn) echo "--feddyn-alpha 0.01" ;;
    qffl) echo "--q 1" ;;
    ditto) echo "--ditto-lambda 0.1" ;;
    pow-d) echo "--sample 3 --sampler power-of-choice:6" ;;
  esac
}
